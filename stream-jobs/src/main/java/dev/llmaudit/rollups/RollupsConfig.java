package dev.llmaudit.rollups;

import dev.llmaudit.enforcer.EnforcerTopics;
import dev.llmaudit.jobs.JobSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The rollups job's settings, bound once from a properties file and {@code LLM_AUDIT_ROLLUPS_*} /
 * {@code LLM_AUDIT_*} environment variables (environment wins). Durations are ISO-8601 ({@code PT30S},
 * {@code PT1H}). {@code kafka.*} settings go to the Kafka source and sinks, {@code flink.*} to the
 * Flink configuration of a local run.
 *
 * @param bounded stop at the end offsets found at start (flushing every window) instead of running forever
 * @param checkpointDir where checkpoints go (a local run also resumes from the newest); null = the cluster's
 *     {@code execution.checkpointing.dir}, or a directory under the temp dir for a local run
 * @param createTopics create the output topics (rollups compacted, dead letters) when missing
 */
public record RollupsConfig(String jobName, String bootstrapServers, Map<String, String> registry, Path bundleDir,
                            String pricedTopic, String policiesTopic, String rollupsTopic, String dlqTopic, String groupId,
                            String transactionalIdPrefix,
                            Duration transactionTimeout, Duration outOfOrderness, Duration idleness, Duration allowedLateness,
                            Duration checkpointInterval, Path checkpointDir, int parallelism, boolean bounded, String defaultCurrency,
                            boolean createTopics, Integer topicPartitions, Duration futureSkew, Map<String, String> kafka,
                            Map<String, String> flink) {
    public static final List<String> KEYS = List.of("job.name", "bootstrap.servers", "schema.registry.url",
            "schema.registry.basic.auth.user.info", "schema.registry.ssl.truststore.location",
            "schema.registry.ssl.truststore.password", "schema.registry.ssl.truststore.type", "bundle.dir", "topic.priced", "topic.policies", "topic.rollups", "topic.dlq", "group.id",
            "transactional.id.prefix", "transaction.timeout", "out.of.orderness", "idleness", "allowed.lateness",
            "checkpoint.interval", "checkpoint.dir", "parallelism", "bounded", "default.currency", "create.topics", "topic.partitions",
            "event.future.skew");
    /** Topic of the rollups (compacted, keyed by x_RollupKey). */
    public static final String DEFAULT_ROLLUPS_TOPIC = "llm.usage.rollups";
    /**
     * Brokers refuse transactions longer than {@code transaction.max.timeout.ms} (15 min by default);
     * the Flink sink's own default (1 h) would fail, so the default stays well inside it.
     */
    static final Duration MAX_BROKER_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    public RollupsConfig {
        registry = Map.copyOf(registry);
        kafka = Map.copyOf(kafka);
        flink = Map.copyOf(flink);
        if (transactionTimeout.compareTo(checkpointInterval) <= 0) {
            throw new IllegalArgumentException("transaction.timeout (" + transactionTimeout + ") must exceed checkpoint.interval ("
                    + checkpointInterval + "): output is committed on each checkpoint");
        }
    }

    public static RollupsConfig defaults() {
        return bind(new JobSettings(Map.of(), Map.of()));
    }

    public static RollupsConfig load(Path file, Map<String, String> env) throws IOException {
        return bind(JobSettings.load(file, env, "LLM_AUDIT_ROLLUPS_", KEYS, "kafka.", "flink."));
    }

    static RollupsConfig bind(JobSettings s) {
        EnforcerTopics topics = EnforcerTopics.defaults();
        try {
            String dir = s.get("checkpoint.dir", null);
            return new RollupsConfig(s.get("job.name", "llm-audit-rollups"), s.get("bootstrap.servers", "localhost:9092"), s.registry(),
                    Path.of(s.get("bundle.dir", "policies/bundle")), s.get("topic.priced", topics.priced()), s.get("topic.policies", topics.policies()),
                    s.get("topic.rollups", DEFAULT_ROLLUPS_TOPIC), s.get("topic.dlq", topics.dlq()), s.get("group.id", "llm-audit-rollups"),
                    s.get("transactional.id.prefix", "llm-audit-rollups"), Duration.parse(s.get("transaction.timeout", "PT10M")),
                    Duration.parse(s.get("out.of.orderness", "PT30S")), Duration.parse(s.get("idleness", "PT1M")),
                    Duration.parse(s.get("allowed.lateness", "PT6H")), Duration.parse(s.get("checkpoint.interval", "PT10S")),
                    dir == null ? null : Path.of(dir), Integer.parseInt(s.get("parallelism", "2")),
                    Boolean.parseBoolean(s.get("bounded", "false")), s.get("default.currency", "USD"),
                    Boolean.parseBoolean(s.get("create.topics", "true")), s.get("topic.partitions", null) == null ? null : Integer.valueOf(s.get("topic.partitions", null)),
                    Duration.parse(s.get("event.future.skew", dev.llmaudit.schemas.EventBounds.DEFAULT_FUTURE_SKEW.toString())), s.passthrough("kafka."),
                    s.passthrough("flink."));
        } catch (java.time.format.DateTimeParseException | NumberFormatException e) {
            throw new IllegalArgumentException("invalid rollups setting: " + e.getMessage()
                    + " (durations are ISO-8601 like PT30S or PT6H; parallelism is an integer)", e);
        }
    }

    /** Checks that cannot be made without the broker's limits in mind; returns problems, empty if fine. */
    public List<String> problems() {
        if (transactionTimeout.compareTo(MAX_BROKER_TRANSACTION_TIMEOUT) > 0) {
            return List.of("transaction.timeout " + transactionTimeout + " exceeds the broker default transaction.max.timeout.ms (15 min);"
                    + " raise the broker limit first or lower transaction.timeout");
        }
        return List.of();
    }

    public RollupsConfig withCheckpointDir(Path dir) {
        return new RollupsConfig(jobName, bootstrapServers, registry, bundleDir, pricedTopic, policiesTopic, rollupsTopic, dlqTopic, groupId,
                transactionalIdPrefix, transactionTimeout, outOfOrderness, idleness, allowedLateness, checkpointInterval, dir, parallelism,
                bounded, defaultCurrency, createTopics, topicPartitions, futureSkew, kafka, flink);
    }

    /** The topics this job writes, as it expects them. */
    public Map<String, String> outputTopics() {
        return Map.of(DEFAULT_ROLLUPS_TOPIC, rollupsTopic, EnforcerTopics.defaults().dlq(), dlqTopic);
    }

    /** The settings the job functions need at run time (serializable, shipped with the job graph). */
    public RollupSettings settings() {
        return new RollupSettings(allowedLateness, defaultCurrency);
    }
}
