package dev.llmaudit.rollups;

import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.jobs.JobSettings;
import dev.llmaudit.jobs.SettingsDeclaration;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The rollups job's settings, bound once from a properties file and {@code LLM_AUDIT_ROLLUPS_*} /
 * {@code LLM_AUDIT_*} environment variables (environment wins), declared once in {@link #SETTINGS}
 * (which also makes the CLI's key list and the README's table). {@code kafka.*} settings go to the
 * Kafka source and sinks, {@code flink.*} to the Flink configuration of a local run.
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
                            Duration earlyInterval, Duration checkpointInterval, Path checkpointDir, int parallelism, boolean bounded, String defaultCurrency,
                            boolean createTopics, Integer topicPartitions, Duration futureSkew, Map<String, String> kafka,
                            Map<String, String> flink) {
    public static final SettingsDeclaration SETTINGS = new SettingsDeclaration("LLM_AUDIT_ROLLUPS_")
            .string("job.name", "llm-audit-rollups", "Flink job name.")
            .string("bootstrap.servers", "localhost:9092", "Kafka brokers (also LLM_AUDIT_BOOTSTRAP_SERVERS).")
            .registry()
            .string("bundle.dir", "policies/bundle", "The policy bundle shipped with the job: its catalogs price the counterfactual"
                    + " until a bundle is published on the policies topic.")
            .string("topic.priced", PipelineTopics.defaults().priced(), "Input: the enforcer's priced events.")
            .string("topic.policies", PipelineTopics.defaults().policies(), "Published policy bundles (the counterfactual follows them).")
            .string("topic.rollups", PipelineTopics.defaults().rollups(), "Output rollups (compacted, keyed by x_RollupKey).")
            .string("topic.dlq", PipelineTopics.defaults().dlq(), "Dead letters.")
            .string("group.id", "llm-audit-rollups", "Consumer group (offsets are committed on checkpoints).")
            .string("transactional.id.prefix", "llm-audit-rollups", "Prefix of the sinks' transactional ids; unique per job.")
            .duration("transaction.timeout", Duration.ofMinutes(10), "Kafka transaction timeout of the exactly-once sinks; above"
                    + " checkpoint.interval, within the brokers' transaction.max.timeout.ms (15 min).")
            .duration("out.of.orderness", Duration.ofSeconds(30), "Watermarks trail the newest event time by this.")
            .duration("idleness", Duration.ofMinutes(1), "A partition without records for this long stops holding watermarks back.")
            .duration("allowed.lateness", Duration.ofHours(6), "Late events within this of a window's end revise it; later ones become"
                    + " corrections.")
            .duration("early.interval", Duration.ofMinutes(1), "Open windows are written as provisional revisions (x_IsFinal false)"
                    + " at most this often while calls arrive, so the current hour's spend shows before it closes; PT0S: only when a"
                    + " window closes.")
            .duration("checkpoint.interval", Duration.ofSeconds(10), "Checkpoints, and so output commits, this often.")
            .string("checkpoint.dir", null, "Checkpoint directory (a local run also resumes from its newest checkpoint). Default:"
                    + " the cluster's, or <tmp>/llm-audit-rollups/<group.id> locally.")
            .integer("parallelism", 2, 1, "Job parallelism.")
            .bool("bounded", false, "Stop at the end offsets found at start, flushing every window, instead of running forever.")
            .string("default.currency", "USD", "Billing currency of calls that carry no cost at all.")
            .bool("create.topics", true, "Create missing topics at start: the outputs, and an empty policies topic to follow.")
            .integer("topic.partitions", null, 1, "Partitions of topics it creates (default: per topic, see deploy/topics.yaml).")
            .duration("event.future.skew", dev.llmaudit.schemas.EventBounds.DEFAULT_FUTURE_SKEW, "Events later than the clock plus this"
                    + " are dead letters; watermarks never pass the clock plus this.");
    public static final List<String> KEYS = SETTINGS.keys();
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

    static RollupsConfig bind(JobSettings raw) {
        SettingsDeclaration.Values s = SETTINGS.bind(raw.values());
        String dir = s.string("checkpoint.dir");
        return new RollupsConfig(s.string("job.name"), s.string("bootstrap.servers"), raw.registry(), Path.of(s.string("bundle.dir")),
                s.string("topic.priced"), s.string("topic.policies"), s.string("topic.rollups"), s.string("topic.dlq"), s.string("group.id"),
                s.string("transactional.id.prefix"), s.duration("transaction.timeout"), s.duration("out.of.orderness"),
                s.duration("idleness"), s.duration("allowed.lateness"), s.duration("early.interval"), s.duration("checkpoint.interval"), dir == null ? null : Path.of(dir),
                s.integer("parallelism"), s.bool("bounded"), s.string("default.currency"), s.bool("create.topics"),
                s.integer("topic.partitions"), s.duration("event.future.skew"), raw.passthrough("kafka."), raw.passthrough("flink."));
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
                transactionalIdPrefix, transactionTimeout, outOfOrderness, idleness, allowedLateness, earlyInterval, checkpointInterval, dir,
                parallelism,
                bounded, defaultCurrency, createTopics, topicPartitions, futureSkew, kafka, flink);
    }

    /**
     * The topics this job creates when missing: those it writes, and the compacted policies topic it follows
     * (an empty one is fine: the bundle shipped with the job applies until one is published; a missing one
     * would fail the Kafka source and restart the job forever).
     */
    public Map<String, String> topicsToEnsure() {
        return Map.of(PipelineTopics.defaults().rollups(), rollupsTopic, PipelineTopics.defaults().dlq(), dlqTopic,
                PipelineTopics.defaults().policies(), policiesTopic);
    }

    /** The settings the job functions need at run time (serializable, shipped with the job graph). */
    public RollupSettings settings() {
        // A bounded run (a backfill) writes each window once, when it closes: provisional revisions would depend on the wall clock.
        return new RollupSettings(allowedLateness, defaultCurrency, bounded ? Duration.ZERO : earlyInterval);
    }
}
