package dev.llmaudit.ingest.gateway;

import dev.llmaudit.http.ListenerSettings;
import dev.llmaudit.schemas.EventBounds;
import java.time.Duration;
import java.util.Map;

/**
 * Settings of the HTTP ingest gateway, bound once at start.
 *
 * @param listener the public listener of {@code POST /v1/events} (timeouts, connection limit, TLS)
 * @param admin the listener of {@code /healthz}, {@code /readyz} and {@code /metrics}; separate so
 *     probes keep answering while the public listener is full
 * @param maxBodyBytes larger bodies get 413, checked while reading, and again on the decompressed size of gzip bodies
 * @param maxInFlight concurrent requests being read or written to Kafka; more get 503 with Retry-After
 * @param producers transactional producers in the pool (each request's events are one Kafka transaction)
 * @param ackTimeout how long a request waits for Kafka before it is answered 503
 * @param hmacKey key for hashing prompt/response/user ids found in gateway payloads (null = drop them unhashed)
 * @param kafkaClient extra Kafka client settings for the producers and admin client (security.protocol, sasl.*, ssl.*)
 * @param maxAge events older than this are refused (400); replays of old events go through {@code local --events-file}
 * @param futureSkew events later than the gateway's clock plus this are refused
 */
public record GatewayConfig(ListenerSettings listener, ListenerSettings admin, String bootstrapServers, String topic,
                            Map<String, String> registry, long maxBodyBytes, int maxEventsPerRequest, int maxInFlight, int producers,
                            Duration ackTimeout, String transactionalIdPrefix, byte[] hmacKey, Map<String, String> kafkaClient,
                            Duration maxAge, Duration futureSkew) {
    public static final int DEFAULT_PORT = 8088;
    public static final int DEFAULT_ADMIN_PORT = 8090;

    public GatewayConfig {
        registry = Map.copyOf(registry);
        kafkaClient = Map.copyOf(kafkaClient);
        if (producers < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("producers and max in-flight requests must be >= 1");
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > 256L * 1024 * 1024) {
            throw new IllegalArgumentException("max body bytes must be between 1 KiB and 256 MiB, got " + maxBodyBytes);
        }
    }

    public static GatewayConfig defaults(String bootstrapServers, String registryUrl) {
        return new GatewayConfig(ListenerSettings.api("ingest", "0.0.0.0", DEFAULT_PORT), ListenerSettings.admin("0.0.0.0", DEFAULT_ADMIN_PORT),
                bootstrapServers, "llm.events", Map.of("schema.registry.url", registryUrl), 10L * 1024 * 1024, 10_000, 32, 4,
                Duration.ofSeconds(15), "llm-audit-ingest-" + hostName(), null, Map.of(), EventBounds.DEFAULT_MAX_AGE,
                EventBounds.DEFAULT_FUTURE_SKEW);
    }

    /** Both listeners on one host: the public one on {@code port}, the admin one on {@code adminPort} (0 = any free port). */
    public GatewayConfig withPorts(String host, int port, int adminPort) {
        return withListeners(listener.withPort(host, port), admin.withPort(host, adminPort));
    }

    public GatewayConfig withListeners(ListenerSettings listener, ListenerSettings admin) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient, maxAge, futureSkew);
    }

    public GatewayConfig withTopic(String topic) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient, maxAge, futureSkew);
    }

    public GatewayConfig withLimits(long maxBodyBytes, int maxEventsPerRequest, int maxInFlight, int producers, Duration ackTimeout) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient, maxAge, futureSkew);
    }

    public GatewayConfig withHmacKey(byte[] key) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, key, kafkaClient, maxAge, futureSkew);
    }

    public GatewayConfig withTransactionalIdPrefix(String prefix) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, prefix, hmacKey, kafkaClient, maxAge, futureSkew);
    }

    /** With extra Kafka client settings (security); these cannot override the gateway's own producer settings. */
    public GatewayConfig withKafkaClient(Map<String, String> settings) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, settings, maxAge, futureSkew);
    }

    public GatewayConfig withRegistry(Map<String, String> registry) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient, maxAge, futureSkew);
    }

    /** The time window of accepted event times. */
    public GatewayConfig withTimeWindow(Duration maxAge, Duration futureSkew) {
        return new GatewayConfig(listener, admin, bootstrapServers, topic, registry, maxBodyBytes, maxEventsPerRequest, maxInFlight,
                producers, ackTimeout, transactionalIdPrefix, hmacKey, kafkaClient, maxAge, futureSkew);
    }

    static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "local";
        }
    }
}
