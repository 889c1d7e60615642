package dev.llmaudit.ingest.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Typed, immutable configuration of {@link LlmAuditClient}, bound once from a builder, a
 * properties file, or environment variables. Every key is declared once in {@link Key} with its
 * property name, environment variable, default and description.
 */
public record ClientConfig(String bootstrapServers, String topic, Map<String, String> registry, Path spoolDir,
                           long spoolMaxBytes, long segmentBytes, Fsync fsync, Duration fsyncInterval, int bufferCapacity,
                           SpoolFullPolicy spoolFullPolicy, Duration blockTimeout, byte[] hmacKey, String source,
                           Duration deliveryTimeout, Map<String, String> defaults, Map<String, String> producer,
                           long deadLetterMaxBytes) {

    /** When spool appends reach the disk. */
    public enum Fsync {
        /** fsync after every append: slowest, survives power loss. */
        ALWAYS,
        /** fsync at most every {@code fsync.interval.ms} (default). */
        INTERVAL,
        /** leave it to the OS: survives process crashes, not power loss. */
        NEVER
    }

    /** What {@code record()} does when memory buffer and spool are both full. */
    public enum SpoolFullPolicy {
        /** wait up to {@code block.timeout.ms} for room, then drop (counted and logged). */
        BLOCK,
        /** drop the new event at once (counted and logged). */
        DROP_NEWEST
    }

    /** Every setting: property name, environment variable, default, description. */
    public enum Key {
        BOOTSTRAP_SERVERS("bootstrap.servers", "localhost:9092", "Kafka bootstrap servers."),
        TOPIC("topic", "llm.events", "Topic events are written to."),
        SCHEMA_REGISTRY_URL("schema.registry.url", "http://localhost:8081", "Confluent-compatible schema registry URL(s), comma-separated."),
        BASIC_AUTH_USER_INFO("basic.auth.user.info", null, "user:password for the schema registry."),
        BEARER_AUTH_TOKEN("bearer.auth.token", null, "Bearer token for the schema registry."),
        REGISTRY_TRUSTSTORE_LOCATION("schema.registry.ssl.truststore.location", null, "Trust store for a registry behind TLS with a private CA."),
        REGISTRY_TRUSTSTORE_PASSWORD("schema.registry.ssl.truststore.password", null, "Password of that trust store."),
        REGISTRY_TRUSTSTORE_TYPE("schema.registry.ssl.truststore.type", null, "PKCS12 (default) or JKS."),
        SPOOL_DIR("spool.dir", null, "Directory of the on-disk spool, the user's own (default: $XDG_STATE_HOME/llm-audit/spool, else"
                + " ~/.local/state/llm-audit/spool, else <tmp>/llm-audit-spool-<user>; created with mode 0700)."),
        DEAD_LETTER_MAX_BYTES("spool.dead.letter.max.bytes", String.valueOf(16L * 1024 * 1024),
                "Largest size of dead-letters.jsonl in the spool directory: events that can never be sent, with the reason."),
        SPOOL_MAX_BYTES("spool.max.bytes", String.valueOf(512L * 1024 * 1024), "Largest total size of the spool."),
        SPOOL_SEGMENT_BYTES("spool.segment.bytes", String.valueOf(16L * 1024 * 1024), "Size at which a spool segment is closed."),
        FSYNC("spool.fsync", "interval", "always | interval | never."),
        FSYNC_INTERVAL_MS("spool.fsync.interval.ms", "1000", "fsync period for spool.fsync=interval."),
        BUFFER_CAPACITY("buffer.capacity", "65536", "Events held in memory between record() and the sender."),
        SPOOL_FULL_POLICY("spool.full.policy", "block", "block | drop_newest: what happens when buffer and spool are full."),
        BLOCK_TIMEOUT_MS("block.timeout.ms", "1000", "Longest record() waits under spool.full.policy=block."),
        HMAC_KEY("hmac.key", null, "Key for HMAC-SHA256 of prompts and responses; unset = no hashes."),
        SOURCE("source", "llm-audit-java/0.1.0", "Emitter name/version written to each event's source."),
        DELIVERY_TIMEOUT_MS("delivery.timeout.ms", "15000", "How long Kafka may take before an event goes to the spool."),
        TENANT("tenant", null, "Default tenant for events that have none."),
        APP("app", null, "Default app for events that have none."),
        TEAM("team", null, "Default team for events that have none."),
        ENVIRONMENT("environment", null, "Default environment for events that have none.");

        public final String property;
        public final String defaultValue;
        public final String description;

        Key(String property, String defaultValue, String description) {
            this.property = property;
            this.defaultValue = defaultValue;
            this.description = description;
        }

        /** {@code LLM_AUDIT_BOOTSTRAP_SERVERS} for {@code bootstrap.servers}. */
        public String environmentVariable() {
            return "LLM_AUDIT_" + property.toUpperCase(Locale.ROOT).replace('.', '_');
        }
    }

    /** Producer settings the client relies on; overrides may tune others but not these. */
    static final List<String> FIXED_PRODUCER_KEYS = List.of("acks", "enable.idempotence", "key.serializer", "value.serializer");

    public ClientConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrap.servers");
        registry = Map.copyOf(registry);
        defaults = Map.copyOf(defaults);
        producer = Map.copyOf(producer);
        if (bufferCapacity <= 0) {
            throw new IllegalArgumentException("buffer.capacity must be > 0, got " + bufferCapacity);
        }
        if (spoolMaxBytes < segmentBytes) {
            throw new IllegalArgumentException("spool.max.bytes (" + spoolMaxBytes + ") must be at least spool.segment.bytes (" + segmentBytes + ")");
        }
        for (String k : FIXED_PRODUCER_KEYS) {
            if (producer.containsKey(k)) {
                throw new IllegalArgumentException("producer." + k + " cannot be overridden: the client needs " + k + " as it sets it");
            }
        }
    }

    @Override
    public String toString() {
        return "ClientConfig[bootstrap.servers=" + bootstrapServers + ", topic=" + topic + ", spool.dir=" + spoolDir
                + ", hmac=" + (hmacKey == null ? "off" : "on") + "]"; // never print the key
    }

    /** Reads {@code llm-audit.<key>} properties (and {@code llm-audit.producer.*} overrides). */
    public static ClientConfig fromProperties(Properties p) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> producer = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("llm-audit.producer.")) {
                producer.put(name.substring("llm-audit.producer.".length()), p.getProperty(name));
            } else if (name.startsWith("llm-audit.")) {
                values.put(name.substring("llm-audit.".length()), p.getProperty(name));
            }
        }
        return bind(values, producer);
    }

    /** Reads a properties file. */
    public static ClientConfig fromFile(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return fromProperties(p);
    }

    /**
     * Reads {@code LLM_AUDIT_*} environment variables, and Kafka's connection settings from
     * {@code LLM_AUDIT_KAFKA_*} ({@code LLM_AUDIT_KAFKA_SECURITY_PROTOCOL=SASL_SSL},
     * {@code LLM_AUDIT_KAFKA_SASL_JAAS_CONFIG}, {@code LLM_AUDIT_KAFKA_SSL_TRUSTSTORE_LOCATION}, ...),
     * the same variables every llm-audit command reads.
     */
    public static ClientConfig fromEnvironment(Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Key k : Key.values()) {
            String v = env.get(k.environmentVariable());
            if (v != null) {
                values.put(k.property, v);
            }
        }
        Map<String, String> producer = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length()) {
                String key = name.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (dev.llmaudit.schemas.kafka.KafkaSecurity.isConnectionSetting(key)) {
                    producer.put(key, value);
                }
            }
        });
        return bind(values, producer);
    }

    /** Environment variables of Kafka connection settings: {@code LLM_AUDIT_KAFKA_SASL_MECHANISM} -> {@code sasl.mechanism}. */
    public static final String KAFKA_ENV_PREFIX = "LLM_AUDIT_KAFKA_";

    public static Builder builder() {
        return new Builder();
    }

    static ClientConfig bind(Map<String, String> values, Map<String, String> producer) {
        List<String> unknown = new ArrayList<>();
        for (String k : values.keySet()) {
            boolean known = false;
            for (Key key : Key.values()) {
                known |= key.property.equals(k);
            }
            if (!known) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown llm-audit client settings " + unknown + "; known: "
                    + java.util.Arrays.stream(Key.values()).map(k -> k.property).toList());
        }
        Builder b = builder();
        for (Key k : Key.values()) {
            String v = values.getOrDefault(k.property, k.defaultValue);
            if (v == null) {
                continue;
            }
            try {
                b.set(k, v);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(k.property + ": invalid value \"" + v + "\" (" + k.description + ")", e);
            }
        }
        producer.forEach(b::producer);
        return b.build();
    }

    /** Builder with the documented defaults. */
    public static final class Builder {
        private String bootstrapServers = Key.BOOTSTRAP_SERVERS.defaultValue;
        private String topic = Key.TOPIC.defaultValue;
        private final Map<String, String> registry = new LinkedHashMap<>(Map.of("schema.registry.url", Key.SCHEMA_REGISTRY_URL.defaultValue));
        private Path spoolDir = SpoolDirectory.defaultDir(System.getenv());
        private long deadLetterMaxBytes = Long.parseLong(Key.DEAD_LETTER_MAX_BYTES.defaultValue);
        private long spoolMaxBytes = Long.parseLong(Key.SPOOL_MAX_BYTES.defaultValue);
        private long segmentBytes = Long.parseLong(Key.SPOOL_SEGMENT_BYTES.defaultValue);
        private Fsync fsync = Fsync.INTERVAL;
        private Duration fsyncInterval = Duration.ofSeconds(1);
        private int bufferCapacity = 65536;
        private SpoolFullPolicy policy = SpoolFullPolicy.BLOCK;
        private Duration blockTimeout = Duration.ofSeconds(1);
        private byte[] hmacKey;
        private String source = Key.SOURCE.defaultValue;
        private Duration deliveryTimeout = Duration.ofSeconds(15);
        private final Map<String, String> defaults = new LinkedHashMap<>();
        private final Map<String, String> producer = new LinkedHashMap<>();

        public Builder bootstrapServers(String v) { bootstrapServers = v; return this; }
        public Builder topic(String v) { topic = v; return this; }
        public Builder schemaRegistryUrl(String v) { registry.put("schema.registry.url", v); return this; }
        public Builder registry(String key, String value) { registry.put(key, value); return this; }
        public Builder spoolDir(Path v) { spoolDir = v; return this; }
        public Builder spoolMaxBytes(long v) { spoolMaxBytes = v; return this; }
        public Builder deadLetterMaxBytes(long v) { deadLetterMaxBytes = v; return this; }
        public Builder segmentBytes(long v) { segmentBytes = v; return this; }
        public Builder fsync(Fsync v) { fsync = v; return this; }
        public Builder fsyncInterval(Duration v) { fsyncInterval = v; return this; }
        public Builder bufferCapacity(int v) { bufferCapacity = v; return this; }
        public Builder spoolFullPolicy(SpoolFullPolicy v) { policy = v; return this; }
        public Builder blockTimeout(Duration v) { blockTimeout = v; return this; }
        public Builder hmacKey(byte[] v) { hmacKey = v == null ? null : v.clone(); return this; }
        public Builder source(String v) { source = v; return this; }
        public Builder deliveryTimeout(Duration v) { deliveryTimeout = v; return this; }
        public Builder defaultAttribute(String name, String value) { defaults.put(name, value); return this; }
        public Builder producer(String key, String value) { producer.put(key, value); return this; }

        Builder set(Key k, String v) {
            switch (k) {
                case BOOTSTRAP_SERVERS -> bootstrapServers(v);
                case TOPIC -> topic(v);
                case SCHEMA_REGISTRY_URL -> schemaRegistryUrl(v);
                case BASIC_AUTH_USER_INFO, BEARER_AUTH_TOKEN, REGISTRY_TRUSTSTORE_LOCATION, REGISTRY_TRUSTSTORE_PASSWORD, REGISTRY_TRUSTSTORE_TYPE ->
                        registry(k.property, v);
                case DEAD_LETTER_MAX_BYTES -> deadLetterMaxBytes(Long.parseLong(v));
                case SPOOL_DIR -> spoolDir(Path.of(v));
                case SPOOL_MAX_BYTES -> spoolMaxBytes(Long.parseLong(v));
                case SPOOL_SEGMENT_BYTES -> segmentBytes(Long.parseLong(v));
                case FSYNC -> fsync(Fsync.valueOf(v.toUpperCase(Locale.ROOT)));
                case FSYNC_INTERVAL_MS -> fsyncInterval(Duration.ofMillis(Long.parseLong(v)));
                case BUFFER_CAPACITY -> bufferCapacity(Integer.parseInt(v));
                case SPOOL_FULL_POLICY -> spoolFullPolicy(SpoolFullPolicy.valueOf(v.toUpperCase(Locale.ROOT)));
                case BLOCK_TIMEOUT_MS -> blockTimeout(Duration.ofMillis(Long.parseLong(v)));
                case HMAC_KEY -> hmacKey(v.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                case SOURCE -> source(v);
                case DELIVERY_TIMEOUT_MS -> deliveryTimeout(Duration.ofMillis(Long.parseLong(v)));
                case TENANT, APP, TEAM, ENVIRONMENT -> defaultAttribute(k.property, v);
            }
            return this;
        }

        public ClientConfig build() {
            return new ClientConfig(bootstrapServers, topic, registry, spoolDir, spoolMaxBytes, segmentBytes, fsync, fsyncInterval,
                    bufferCapacity, policy, blockTimeout, hmacKey, source, deliveryTimeout, defaults, producer, deadLetterMaxBytes);
        }
    }
}
