package dev.llmaudit.enforcer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The enforcer's settings, bound once from a properties file and {@code LLM_AUDIT_ENFORCER_*} /
 * {@code LLM_AUDIT_*} environment variables (environment wins). Keys:
 * {@code application.id}, {@code bootstrap.servers}, {@code schema.registry.url},
 * {@code schema.registry.basic.auth.user.info}, {@code bundle.dir}, {@code dedup.horizon} (ISO-8601,
 * e.g. P7D), {@code state.dir}, {@code http.port}, {@code topic.{events,dlq,priced,violations,budget.status,policies}},
 * {@code create.topics}, {@code topic.partitions}, and {@code streams.*} passed to Kafka Streams.
 */
public record EnforcerConfig(String applicationId, String bootstrapServers, Map<String, String> registry, Path bundleDir,
                             Duration dedupHorizon, Path stateDir, int httpPort, EnforcerTopics topics, boolean createTopics,
                             int topicPartitions, Map<String, String> streams) {
    static final List<String> KEYS = List.of("application.id", "bootstrap.servers", "schema.registry.url",
            "schema.registry.basic.auth.user.info", "bundle.dir", "dedup.horizon", "state.dir", "http.port", "topic.events",
            "topic.dlq", "topic.priced", "topic.violations", "topic.budget.status", "topic.policies", "create.topics", "topic.partitions");

    public EnforcerConfig {
        registry = Map.copyOf(registry);
        streams = Map.copyOf(streams);
    }

    public static EnforcerConfig load(Path file, Map<String, String> env) throws IOException {
        Properties p = new Properties();
        if (file != null) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> streams = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("streams.")) {
                streams.put(name.substring("streams.".length()), p.getProperty(name));
            } else if (KEYS.contains(name)) {
                values.put(name, p.getProperty(name));
            } else {
                throw new IllegalArgumentException((file == null ? "" : file + ": ") + "unknown setting \"" + name + "\"; known: " + KEYS
                        + " and streams.*");
            }
        }
        for (String key : KEYS) {
            String var = key.toUpperCase(Locale.ROOT).replace('.', '_');
            String v = env.getOrDefault("LLM_AUDIT_ENFORCER_" + var, key.equals("bootstrap.servers") || key.equals("schema.registry.url")
                    ? env.get("LLM_AUDIT_" + var) : null);
            if (v != null) {
                values.put(key, v);
            }
        }
        return bind(values, streams);
    }

    static EnforcerConfig bind(Map<String, String> v, Map<String, String> streams) {
        Map<String, String> registry = new LinkedHashMap<>();
        registry.put("schema.registry.url", v.getOrDefault("schema.registry.url", "http://localhost:8081"));
        if (v.containsKey("schema.registry.basic.auth.user.info")) {
            registry.put("basic.auth.user.info", v.get("schema.registry.basic.auth.user.info"));
        }
        EnforcerTopics d = EnforcerTopics.defaults();
        EnforcerTopics topics = new EnforcerTopics(v.getOrDefault("topic.events", d.events()), v.getOrDefault("topic.dlq", d.dlq()),
                v.getOrDefault("topic.priced", d.priced()), v.getOrDefault("topic.violations", d.violations()),
                v.getOrDefault("topic.budget.status", d.budgetStatus()), v.getOrDefault("topic.policies", d.policies()));
        try {
            return new EnforcerConfig(v.getOrDefault("application.id", "llm-audit-enforcer"),
                    v.getOrDefault("bootstrap.servers", "localhost:9092"), registry, Path.of(v.getOrDefault("bundle.dir", "policies/bundle")),
                    Duration.parse(v.getOrDefault("dedup.horizon", "P7D")),
                    Path.of(v.getOrDefault("state.dir", System.getProperty("java.io.tmpdir") + "/llm-audit-enforcer-state")),
                    Integer.parseInt(v.getOrDefault("http.port", "8089")), topics,
                    Boolean.parseBoolean(v.getOrDefault("create.topics", "true")),
                    Integer.parseInt(v.getOrDefault("topic.partitions", "3")), streams);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid enforcer setting: " + e.getMessage()
                    + " (dedup.horizon is ISO-8601 like P7D; http.port and topic.partitions are integers)", e);
        }
    }
}
