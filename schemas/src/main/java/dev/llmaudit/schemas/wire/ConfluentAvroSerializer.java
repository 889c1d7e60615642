package dev.llmaudit.schemas.wire;

import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serializer writing Avro records in the Confluent wire format with the topic-name subject
 * strategy, so any Confluent-compatible consumer can read llm-audit's topics. Configured with
 * Confluent's keys: {@code schema.registry.url}, {@code auto.register.schemas} (default true),
 * {@code basic.auth.user.info}, {@code bearer.auth.token}, {@code schema.registry.ssl.truststore.*}.
 */
public class ConfluentAvroSerializer<T> implements Serializer<T> {
    public static final String AUTO_REGISTER = "auto.register.schemas";

    private ConfluentAvroCodec<T> codec;

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public ConfluentAvroSerializer() {}

    /** Ready to use with an existing client (shares its caches). */
    public ConfluentAvroSerializer(SchemaRegistryClient registry, boolean autoRegister) {
        this.codec = new ConfluentAvroCodec<>(registry, null, autoRegister);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec == null) {
            Object auto = configs.get(AUTO_REGISTER);
            codec = new ConfluentAvroCodec<>(new SchemaRegistryClient(RegistryConfig.fromMap(configs)), null,
                    auto == null || Boolean.parseBoolean(auto.toString()));
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return serialize(topic, data, false);
    }

    byte[] serialize(String topic, T data, boolean isKey) {
        if (codec == null) {
            throw new IllegalStateException("ConfluentAvroSerializer used before configure(): set schema.registry.url");
        }
        try {
            return codec.encode(ConfluentAvroCodec.subject(topic, isKey), data);
        } catch (RuntimeException e) {
            throw new SerializationException("topic " + topic + ": " + e.getMessage(), e);
        }
    }
}
