package dev.llmaudit.embedded.kafka;

import java.util.Map;

/**
 * Chooses the real broker tests run against, from the environment:
 * <ul>
 *   <li>{@code KAFKA_BOOTSTRAP_SERVERS} set: that external cluster;</li>
 *   <li>{@code LLM_AUDIT_TEST_KAFKA=testcontainers}: an {@code apache/kafka} container (needs Docker);</li>
 *   <li>otherwise: the in-JVM KRaft broker.</li>
 * </ul>
 */
public final class KafkaClusters {
    public static final String BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS";
    public static final String KIND_ENV = "LLM_AUDIT_TEST_KAFKA";

    private KafkaClusters() {}

    public static KafkaCluster fromEnvironment() {
        return from(System.getenv());
    }

    static KafkaCluster from(Map<String, String> env) {
        String bootstrap = env.get(BOOTSTRAP_ENV);
        if (bootstrap != null && !bootstrap.isBlank()) {
            return new ExternalKafkaCluster(bootstrap.trim());
        }
        String kind = env.getOrDefault(KIND_ENV, "embedded").trim().toLowerCase();
        switch (kind) {
            case "embedded", "":
                return EmbeddedKafkaBroker.startTemporary();
            case "testcontainers":
                if (!ContainerKafkaCluster.dockerAvailable()) {
                    throw new IllegalStateException(KIND_ENV + "=testcontainers but no Docker engine is reachable; "
                            + "start Docker or unset " + KIND_ENV + " to use the in-JVM broker");
                }
                return ContainerKafkaCluster.launch();
            default:
                throw new IllegalArgumentException(KIND_ENV + "=" + kind + " is not known; use embedded or testcontainers");
        }
    }
}
