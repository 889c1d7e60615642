package dev.llmaudit.enforcer;

import dev.llmaudit.http.ListenerSettings;
import dev.llmaudit.jobs.JobSettings;
import dev.llmaudit.schemas.EventBounds;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The enforcer's settings, bound once from a properties file and {@code LLM_AUDIT_ENFORCER_*} /
 * {@code LLM_AUDIT_*} environment variables (environment wins). Keys:
 * {@code application.id}, {@code bootstrap.servers}, {@code schema.registry.url},
 * {@code schema.registry.basic.auth.user.info}, {@code bundle.dir}, {@code dedup.horizon} (ISO-8601,
 * e.g. P7D), {@code state.dir}, {@code topic.{events,dlq,priced,violations,budget.status,policies}},
 * {@code create.topics}, {@code topic.partitions}, {@code budget.status.interval} (ISO-8601, default PT1S: how often changed
 * budgets' statuses are written), {@code event.future.skew} (default PT5M: later events are dead letters),
 * {@code http.*} for the health/metrics listener ({@link ListenerSettings#KEYS}: {@code http.port} default 8089,
 * {@code http.host}, {@code http.tls.*}, ...), and {@code streams.*} passed to Kafka Streams (its TLS/SASL
 * settings are also used to create topics).
 */
public record EnforcerConfig(String applicationId, String bootstrapServers, Map<String, String> registry, Path bundleDir,
                             Duration dedupHorizon, Path stateDir, ListenerSettings http, EnforcerTopics topics, boolean createTopics,
                             Integer topicPartitions, Duration budgetStatusInterval, Duration futureSkew, Map<String, String> streams) {
    public static final List<String> KEYS = List.of("application.id", "bootstrap.servers", "schema.registry.url",
            "schema.registry.basic.auth.user.info", "schema.registry.ssl.truststore.location",
            "schema.registry.ssl.truststore.password", "schema.registry.ssl.truststore.type", "bundle.dir", "dedup.horizon", "state.dir", "topic.events",
            "topic.dlq", "topic.priced", "topic.violations", "topic.budget.status", "topic.policies", "create.topics", "topic.partitions",
            "budget.status.interval", "event.future.skew");
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
        EnforcerTopics d = EnforcerTopics.defaults();
        EnforcerTopics topics = new EnforcerTopics(v.getOrDefault("topic.events", d.events()), v.getOrDefault("topic.dlq", d.dlq()),
                v.getOrDefault("topic.priced", d.priced()), v.getOrDefault("topic.violations", d.violations()),
                v.getOrDefault("topic.budget.status", d.budgetStatus()), v.getOrDefault("topic.policies", d.policies()));
        try {
            return new EnforcerConfig(v.getOrDefault("application.id", "llm-audit-enforcer"),
                    v.getOrDefault("bootstrap.servers", "localhost:9092"), registry, Path.of(v.getOrDefault("bundle.dir", "policies/bundle")),
                    Duration.parse(v.getOrDefault("dedup.horizon", "P7D")),
                    Path.of(v.getOrDefault("state.dir", System.getProperty("java.io.tmpdir") + "/llm-audit-enforcer-state")),
                    ListenerSettings.admin("0.0.0.0", DEFAULT_HTTP_PORT).bind("", http, Map.<String, String>of(), null), topics,
                    Boolean.parseBoolean(v.getOrDefault("create.topics", "true")),
                    v.containsKey("topic.partitions") ? Integer.valueOf(v.get("topic.partitions")) : null, Duration.parse(v.getOrDefault("budget.status.interval", "PT1S")),
                    Duration.parse(v.getOrDefault("event.future.skew", EventBounds.DEFAULT_FUTURE_SKEW.toString())), streams);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid enforcer setting: " + e.getMessage()
                    + " (dedup.horizon, budget.status.interval and event.future.skew are ISO-8601 like P7D or PT1S; http.port and topic.partitions are integers)", e);
        }
    }
}
