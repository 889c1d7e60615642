package dev.llmaudit.ingest.gateway;

import java.time.Duration;
import java.util.Map;

/**
 * Settings of the HTTP ingest gateway, bound once at start.
 *
 * @param maxBodyBytes larger bodies get 413
 * @param maxInFlight concurrent requests being written to Kafka; more get 503 with Retry-After
 * @param producers transactional producers in the pool (each request's events are one Kafka transaction)
 * @param ackTimeout how long a request waits for Kafka before it is answered 503
 * @param hmacKey key for hashing prompt/response/user ids found in gateway payloads (null = drop them unhashed)
 * @param kafkaClient extra Kafka client settings for the producers and admin client (security.protocol, sasl.*, ssl.*)
 */
public record GatewayConfig(String host, int port, String bootstrapServers, String topic, Map<String, String> registry,
                            long maxBodyBytes, int maxEventsPerRequest, int maxInFlight, int producers, Duration ackTimeout,
                            String transactionalIdPrefix, byte[] hmacKey, Map<String, String> kafkaClient) {
    public GatewayConfig {
        registry = Map.copyOf(registry);
        kafkaClient = Map.copyOf(kafkaClient);
        if (producers < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("producers and max in-flight requests must be >= 1");
        }
    }

    public static GatewayConfig defaults(String bootstrapServers, String registryUrl) {
        return new GatewayConfig("0.0.0.0", 8088, bootstrapServers, "llm.events", Map.of("schema.registry.url", registryUrl),
                10L * 1024 * 1024, 10_000, 32, 4, Duration.ofSeconds(15), "llm-audit-ingest-" + hostName(), null, Map.of());
    }

    public GatewayConfig withPort(String host, int port) {
        return new GatewayConfig(host, port, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient);
    }

    public GatewayConfig withTopic(String topic) {
        return new GatewayConfig(host, port, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient);
    }

    public GatewayConfig withLimits(long maxBodyBytes, int maxEventsPerRequest, int maxInFlight, int producers, Duration ackTimeout) {
        return new GatewayConfig(host, port, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient);
    }

    public GatewayConfig withHmacKey(byte[] key) {
        return new GatewayConfig(host, port, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, key, kafkaClient);
    }

    public GatewayConfig withTransactionalIdPrefix(String prefix) {
        return new GatewayConfig(host, port, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, prefix, hmacKey, kafkaClient);
    }

    /** With extra Kafka client settings (security); these cannot override the gateway's own producer settings. */
    public GatewayConfig withKafkaClient(Map<String, String> settings) {
        return new GatewayConfig(host, port, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, settings);
    }

    static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "local";
        }
    }
}
