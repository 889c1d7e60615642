package dev.llmaudit.embedded.kafka;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * An {@code apache/kafka} broker in a Docker container via Testcontainers. Only loaded when asked
 * for, so Testcontainers stays an optional dependency.
 */
final class ContainerKafkaCluster implements KafkaCluster {
    static final String IMAGE = "apache/kafka:4.2.0";
    private final KafkaContainer container;

    private ContainerKafkaCluster(KafkaContainer container) {
        this.container = container;
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static ContainerKafkaCluster launch() {
        KafkaContainer c = new KafkaContainer(IMAGE);
        c.start();
        return new ContainerKafkaCluster(c);
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public String describe() {
        return "Testcontainers " + IMAGE + " at " + bootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
