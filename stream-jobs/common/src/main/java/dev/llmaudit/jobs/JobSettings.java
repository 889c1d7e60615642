package dev.llmaudit.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Raw settings of a job, read once from a properties file and environment variables (environment
 * wins), before they are bound to a typed config. Unknown keys are errors, so a typo never passes
 * silently.
 *
 * @param values the known keys that were set
 * @param passthrough settings under a pass-through prefix (e.g. {@code streams.}), by full name
 */
public record JobSettings(Map<String, String> values, Map<String, String> passthrough) {
    /** Keys also read from the job-independent {@code LLM_AUDIT_<KEY>} variables. */
    public static final Set<String> SHARED_KEYS = Set.of("bootstrap.servers", "schema.registry.url");

    public JobSettings {
        values = Map.copyOf(values);
        passthrough = Map.copyOf(passthrough);
    }

    /**
     * @param envPrefix e.g. {@code LLM_AUDIT_ENFORCER_}: key {@code a.b} is read from {@code <prefix>A_B}
     * @param passthroughPrefixes e.g. {@code streams.}: settings passed on to a library as they are
     */
    public static JobSettings load(Path file, Map<String, String> env, String envPrefix, List<String> keys,
                                   String... passthroughPrefixes) throws IOException {
        Properties p = new Properties();
        if (file != null) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> passthrough = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (List.of(passthroughPrefixes).stream().anyMatch(name::startsWith)) {
                passthrough.put(name, p.getProperty(name));
            } else if (keys.contains(name)) {
                values.put(name, p.getProperty(name));
            } else {
                throw new IllegalArgumentException((file == null ? "" : file + ": ") + "unknown setting \"" + name + "\"; known: " + keys
                        + " and " + String.join("*, ", passthroughPrefixes) + "*");
            }
        }
        // Pass-through settings from the environment too (secrets such as sasl.jaas.config come from there):
        // <envPrefix>STREAMS_SASL_JAAS_CONFIG -> streams.sasl.jaas.config (Kafka keys have dots, no underscores).
        for (String prefix : passthroughPrefixes) {
            String varPrefix = envPrefix + prefix.toUpperCase(Locale.ROOT).replace('.', '_');
            env.forEach((name, value) -> {
                if (name.startsWith(varPrefix) && name.length() > varPrefix.length()) {
                    passthrough.put(prefix + name.substring(varPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
                }
            });
        }
        for (String key : keys) {
            String var = key.toUpperCase(Locale.ROOT).replace('.', '_');
            String v = env.getOrDefault(envPrefix + var, SHARED_KEYS.contains(key) ? env.get("LLM_AUDIT_" + var) : null);
            if (v != null) {
                values.put(key, v);
            }
        }
        return new JobSettings(values, passthrough);
    }

    /** The pass-through settings under one prefix, prefix removed. */
    public Map<String, String> passthrough(String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        passthrough.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    public String get(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    /** The registry settings a job accepts (Confluent's names, prefixed {@code schema.registry.}). */
    public static final List<String> REGISTRY_KEYS = List.of("schema.registry.url", "schema.registry.basic.auth.user.info",
            "schema.registry.ssl.truststore.location", "schema.registry.ssl.truststore.password", "schema.registry.ssl.truststore.type");

    /** Registry client settings (URL, optional basic auth, trust store for TLS) in the client's key names. */
    public Map<String, String> registry() {
        Map<String, String> registry = new LinkedHashMap<>();
        registry.put("schema.registry.url", values.getOrDefault("schema.registry.url", "http://localhost:8081"));
        if (values.containsKey("schema.registry.basic.auth.user.info")) {
            registry.put("basic.auth.user.info", values.get("schema.registry.basic.auth.user.info"));
        }
        for (String k : List.of("schema.registry.ssl.truststore.location", "schema.registry.ssl.truststore.password",
                "schema.registry.ssl.truststore.type")) {
            if (values.containsKey(k)) {
                registry.put(k, values.get(k));
            }
        }
        return registry;
    }
}
