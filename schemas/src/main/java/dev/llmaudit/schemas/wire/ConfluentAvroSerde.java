package dev.llmaudit.schemas.wire;

import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka Streams serde for one generated Avro class in the Confluent wire format. */
public final class ConfluentAvroSerde<T> implements Serde<T> {
    private final ConfluentAvroSerializer<T> serializer;
    private final ConfluentAvroDeserializer<T> deserializer;
    private boolean isKey;

    private ConfluentAvroSerde(ConfluentAvroSerializer<T> serializer, ConfluentAvroDeserializer<T> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    /** Configured later through {@link #configure} with {@code schema.registry.url} etc. */
    public static <T> ConfluentAvroSerde<T> forType(Class<T> type) {
        return new ConfluentAvroSerde<>(new ConfluentAvroSerializer<>(), new ConfluentAvroDeserializer<>(type));
    }

    /** Ready to use, sharing the client's caches. */
    public static <T> ConfluentAvroSerde<T> forType(Class<T> type, SchemaRegistryClient registry, boolean autoRegister) {
        return new ConfluentAvroSerde<>(new ConfluentAvroSerializer<>(registry, autoRegister), new ConfluentAvroDeserializer<>(registry, type));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> serializer.serialize(topic, data, isKey);
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
