package dev.llmaudit.schemas.wire;

import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka deserializer for the Confluent Avro wire format. Given a target class it returns that
 * generated class (the writer's schema resolved to it); without one it returns
 * {@code GenericRecord}s. Bad bytes raise {@link SerializationException} naming the topic and what
 * was expected, for the caller's dead-letter handling.
 */
public class ConfluentAvroDeserializer<T> implements Deserializer<T> {
    private final Class<T> targetType;
    private ConfluentAvroCodec<T> codec;

    /** Generic records; for Kafka's reflective construction. */
    public ConfluentAvroDeserializer() {
        this.targetType = null;
    }

    /** Decodes into the generated class; {@link #configure} must follow. */
    public ConfluentAvroDeserializer(Class<T> targetType) {
        this.targetType = targetType;
    }

    /** Ready to use with an existing client. */
    public ConfluentAvroDeserializer(SchemaRegistryClient registry, Class<T> targetType) {
        this.targetType = targetType;
        this.codec = new ConfluentAvroCodec<>(registry, targetType, false);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec == null) {
            codec = new ConfluentAvroCodec<>(new SchemaRegistryClient(RegistryConfig.fromMap(configs)), targetType, false);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (codec == null) {
            throw new IllegalStateException("ConfluentAvroDeserializer used before configure(): set schema.registry.url");
        }
        try {
            return codec.decode(data);
        } catch (RuntimeException e) {
            throw new SerializationException("topic " + topic + ": " + e.getMessage(), e);
        }
    }
}
