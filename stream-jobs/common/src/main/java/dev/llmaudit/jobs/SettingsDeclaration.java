package dev.llmaudit.jobs;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * A job's settings declared once: key, type, default, validation and documentation, on Kafka's
 * {@link ConfigDef}. The typed config binds from it, the CLI's help and the README's key tables are
 * made from it ({@link #helpLines()}, {@link #markdownTable(String)}; a test keeps the README equal to
 * the declaration), and the loader refuses keys it does not declare.
 */
public final class SettingsDeclaration {
    private final ConfigDef def = new ConfigDef();
    private final String envPrefix;

    /** @param envPrefix e.g. {@code LLM_AUDIT_ENFORCER_}: key {@code a.b} is also read from {@code <prefix>A_B} */
    public SettingsDeclaration(String envPrefix) {
        this.envPrefix = envPrefix;
    }

    /** ISO-8601 durations (PT30S, P7D), checked when the settings are bound. */
    static final ConfigDef.Validator DURATION = (name, value) -> {
        if (value == null) {
            return;
        }
        try {
            if (Duration.parse((String) value).isNegative()) {
                throw new ConfigException(name, value, "must not be negative");
            }
        } catch (DateTimeParseException e) {
            throw new ConfigException(name, value, "expected an ISO-8601 duration such as PT30S, PT1H or P7D");
        }
    };

    public SettingsDeclaration string(String key, String defaultValue, String doc) {
        def.define(key, ConfigDef.Type.STRING, defaultValue, ConfigDef.Importance.MEDIUM, doc);
        return this;
    }

    public SettingsDeclaration password(String key, String doc) {
        def.define(key, ConfigDef.Type.PASSWORD, null, ConfigDef.Importance.MEDIUM, doc);
        return this;
    }

    public SettingsDeclaration duration(String key, Duration defaultValue, String doc) {
        def.define(key, ConfigDef.Type.STRING, defaultValue.toString(), DURATION, ConfigDef.Importance.MEDIUM, doc);
        return this;
    }

    public SettingsDeclaration bool(String key, boolean defaultValue, String doc) {
        def.define(key, ConfigDef.Type.BOOLEAN, defaultValue, ConfigDef.Importance.MEDIUM, doc);
        return this;
    }

    /** An integer of at least {@code min}; {@code defaultValue} null = unset unless given. */
    public SettingsDeclaration integer(String key, Integer defaultValue, int min, String doc) {
        def.define(key, ConfigDef.Type.INT, defaultValue, defaultValue == null ? null : ConfigDef.Range.atLeast(min),
                ConfigDef.Importance.MEDIUM, doc);
        return this;
    }

    /** The registry client's settings, the same in every job. */
    public SettingsDeclaration registry() {
        return string("schema.registry.url", "http://localhost:8081", "Confluent-compatible schema registry URL(s), comma-separated for failover"
                + " (also LLM_AUDIT_SCHEMA_REGISTRY_URL).")
                .password("schema.registry.basic.auth.user.info", "user:password for the registry's basic authentication.")
                .string("schema.registry.ssl.truststore.location", null, "Trust store for an HTTPS registry (PKCS12 or JKS).")
                .password("schema.registry.ssl.truststore.password", "Password of that trust store.")
                .string("schema.registry.ssl.truststore.type", null, "PKCS12 (default) or JKS.");
    }

    /** The declared keys, in declaration order. */
    public List<String> keys() {
        return List.copyOf(def.configKeys().keySet());
    }

    /** Typed values of the declared settings: defaults applied, each value validated (the error names the key). */
    public Values bind(Map<String, String> values) {
        try {
            return new Values(def.parse(values));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("invalid setting: " + e.getMessage(), e);
        }
    }

    /** The key list of a command's help: each key with its default, then what it does, wrapped to 78 columns. */
    public List<String> helpLines() {
        List<String> out = new ArrayList<>();
        for (ConfigDef.ConfigKey k : def.configKeys().values()) {
            out.add("  " + k.name + (k.hasDefault() && k.defaultValue != null ? " = " + shown(k) : ""));
            StringBuilder line = new StringBuilder("      ");
            for (String word : k.documentation.split(" ")) {
                if (line.length() + word.length() > 78 && line.length() > 6) {
                    out.add(line.toString().stripTrailing());
                    line = new StringBuilder("      ");
                }
                line.append(word).append(' ');
            }
            out.add(line.toString().stripTrailing());
        }
        return out;
    }

    /** The README's table of keys, as the declaration says (a test keeps the README equal to it). */
    public String markdownTable(String passThroughNote) {
        StringBuilder b = new StringBuilder("| key | environment | default | what |\n|---|---|---|---|\n");
        for (ConfigDef.ConfigKey k : def.configKeys().values()) {
            b.append("| `").append(k.name).append("` | `").append(envPrefix).append(k.name.toUpperCase(Locale.ROOT).replace('.', '_'))
                    .append("` | ").append(k.hasDefault() && k.defaultValue != null ? "`" + shown(k) + "`" : "").append(" | ")
                    .append(k.documentation.replace("|", "\\|")).append(" |\n");
        }
        if (passThroughNote != null) {
            b.append("\n").append(passThroughNote).append("\n");
        }
        return b.toString();
    }

    private static String shown(ConfigDef.ConfigKey k) {
        return k.defaultValue instanceof Password ? "(hidden)" : String.valueOf(k.defaultValue);
    }

    /** Bound, typed settings. */
    public static final class Values {
        private final Map<String, Object> parsed;

        Values(Map<String, Object> parsed) {
            this.parsed = parsed;
        }

        public String string(String key) {
            Object v = parsed.get(key);
            return v instanceof Password p ? p.value() : (String) v;
        }

        public Duration duration(String key) {
            return Duration.parse((String) parsed.get(key));
        }

        public boolean bool(String key) {
            return (Boolean) parsed.get(key);
        }

        public Integer integer(String key) {
            return (Integer) parsed.get(key);
        }
    }
}
