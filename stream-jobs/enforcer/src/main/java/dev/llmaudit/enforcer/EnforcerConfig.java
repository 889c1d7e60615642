package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.http.ListenerSettings;
import dev.llmaudit.jobs.JobSettings;
import dev.llmaudit.jobs.SettingsDeclaration;
import dev.llmaudit.schemas.EventBounds;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The enforcer's settings, bound once from a properties file and {@code LLM_AUDIT_ENFORCER_*} /
 * {@code LLM_AUDIT_*} environment variables (environment wins). Declared once in {@link #SETTINGS}
 * (key, type, default, check, doc), which also makes {@code enforcer run --help}'s key list and the
 * table in stream-jobs/README.md. Besides those: {@code http.*} for the health/metrics listener
 * ({@link ListenerSettings#KEYS}) and {@code streams.*} passed to Kafka Streams (its TLS/SASL settings
 * are also used to create topics).
 */
public record EnforcerConfig(String applicationId, String bootstrapServers, Map<String, String> registry, Path bundleDir,
                             Duration dedupHorizon, Path stateDir, ListenerSettings http, PipelineTopics topics, boolean createTopics,
                             Integer topicPartitions, Duration budgetStatusInterval, Duration budgetFlushInterval, Duration futureSkew,
                             Map<String, String> streams) {
    public static final SettingsDeclaration SETTINGS = new SettingsDeclaration("LLM_AUDIT_ENFORCER_")
            .string("application.id", "llm-audit-enforcer", "Kafka Streams application id: its consumer group, transactional ids and"
                    + " internal topic names.")
            .string("bootstrap.servers", "localhost:9092", "Kafka brokers (also LLM_AUDIT_BOOTSTRAP_SERVERS).")
            .registry()
            .string("bundle.dir", "policies/bundle", "The policy bundle in force at start (a bundle published on the policies topic"
                    + " replaces it).")
            .duration("dedup.horizon", Duration.ofDays(1), "A copy of an event (same tenant and event_id) arriving within this of the"
                    + " first is dropped (ISO-8601).")
            .string("state.dir", null, "Kafka Streams state (dedup and budget stores). Default: <tmp>/llm-audit-enforcer-state.")
            .string("topic.events", PipelineTopics.defaults().events(), "Input events.")
            .string("topic.dlq", PipelineTopics.defaults().dlq(), "Dead letters.")
            .string("topic.priced", PipelineTopics.defaults().priced(), "Priced events (the rollups' input).")
            .string("topic.violations", PipelineTopics.defaults().violations(), "Policy violations and budget threshold crossings.")
            .string("topic.budget.status", PipelineTopics.defaults().budgetStatus(), "Budget statuses (compacted).")
            .string("topic.policies", PipelineTopics.defaults().policies(), "Published policy bundles (compacted).")
            .bool("create.topics", true, "Create missing topics at start.")
            .integer("topic.partitions", null, 1, "Partitions of topics it creates (default: per topic, see deploy/topics.yaml).")
            .duration("budget.status.interval", Duration.ofSeconds(1), "How often the statuses of budgets that changed are written.")
            .duration("budget.flush.interval", Duration.ofMillis(200), "How long budget contributions are summed within a task before"
                    + " they cross the repartition; threshold crossings are reported at most this much later.")
            .duration("event.future.skew", EventBounds.DEFAULT_FUTURE_SKEW, "Events later than the clock plus this are dead letters.");
    public static final List<String> KEYS = SETTINGS.keys();
    public static final int DEFAULT_HTTP_PORT = 8089;

    public EnforcerConfig {
        registry = Map.copyOf(registry);
        streams = Map.copyOf(streams);
    }

    public static EnforcerConfig load(Path file, Map<String, String> env) throws IOException {
        JobSettings settings = JobSettings.load(file, env, "LLM_AUDIT_ENFORCER_", KEYS, "streams.", "http.");
        return bind(settings.values(), settings.passthrough("streams."), settings.passthrough("http."));
    }

    static EnforcerConfig bind(Map<String, String> v, Map<String, String> streams) {
        return bind(v, streams, Map.of());
    }

    static EnforcerConfig bind(Map<String, String> v, Map<String, String> streams, Map<String, String> http) {
        Map<String, String> registry = new JobSettings(v, Map.of()).registry();
        SettingsDeclaration.Values s = SETTINGS.bind(v);
        PipelineTopics topics = new PipelineTopics(s.string("topic.events"), s.string("topic.dlq"), s.string("topic.priced"),
                s.string("topic.violations"), s.string("topic.budget.status"), s.string("topic.policies"),
                // The enforcer does not touch the rollups topic; it is named for completeness only.
                PipelineTopics.defaults().rollups());
        String stateDir = s.string("state.dir");
        return new EnforcerConfig(s.string("application.id"), s.string("bootstrap.servers"), registry, Path.of(s.string("bundle.dir")),
                s.duration("dedup.horizon"),
                Path.of(stateDir != null ? stateDir : System.getProperty("java.io.tmpdir") + "/llm-audit-enforcer-state"),
                ListenerSettings.admin("0.0.0.0", DEFAULT_HTTP_PORT).bind("", http, Map.<String, String>of(), null), topics,
                s.bool("create.topics"), s.integer("topic.partitions"), s.duration("budget.status.interval"),
                s.duration("budget.flush.interval"), s.duration("event.future.skew"), streams);
    }
}
