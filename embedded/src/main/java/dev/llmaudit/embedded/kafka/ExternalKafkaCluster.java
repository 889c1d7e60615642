package dev.llmaudit.embedded.kafka;

/** A cluster someone else runs, reached through {@code KAFKA_BOOTSTRAP_SERVERS}; never stopped by us. */
public record ExternalKafkaCluster(String bootstrapServers) implements KafkaCluster {
    @Override
    public String describe() {
        return "external Kafka cluster at " + bootstrapServers;
    }

    @Override
    public void close() {
        // Not ours to stop.
    }
}
