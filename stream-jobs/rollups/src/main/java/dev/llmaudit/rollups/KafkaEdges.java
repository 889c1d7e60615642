package dev.llmaudit.rollups;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.schemas.AvroTrust;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The job's Kafka source and exactly-once sinks, speaking the Confluent wire format. */
public final class KafkaEdges {
    private KafkaEdges() {}

    /** Reads committed priced events; resumes from the job's committed offsets, else from the beginning. */
    public static KafkaSource<UsageSample> pricedSource(RollupsConfig c) {
        var b = KafkaSource.<UsageSample>builder()
                .setBootstrapServers(c.bootstrapServers())
                .setTopics(c.pricedTopic())
                .setGroupId(c.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(org.apache.kafka.clients.consumer.OffsetResetStrategy.EARLIEST))
                .setDeserializer(new PricedCallDeserializer(c.registry(), c.defaultCurrency(), c.futureSkew()))
                .setProperties(properties(c.kafka()))
                // The enforcer writes transactionally; never count an aborted write.
                .setProperty("isolation.level", "read_committed");
        if (c.bounded()) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    /**
     * The bundle archives published on the compacted policies topic, from the beginning (the latest valid
     * one prices the counterfactual; it is kept in broadcast state, so a restore does not need the topic).
     */
    public static KafkaSource<String> policiesSource(RollupsConfig c) {
        var b = KafkaSource.<String>builder()
                .setBootstrapServers(c.bootstrapServers())
                .setTopics(c.policiesTopic())
                .setGroupId(c.groupId() + "-policies")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setValueOnlyDeserializer(new org.apache.flink.api.common.serialization.SimpleStringSchema())
                .setProperties(properties(c.kafka()))
                .setProperty("isolation.level", "read_committed")
                // Bundles are at most a few MB; a compacted topic with one key holds one.
                .setProperty("max.partition.fetch.bytes", Integer.toString(32 * 1024 * 1024));
        if (c.bounded()) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    public static KafkaSink<UsageRollup> rollupSink(RollupsConfig c) {
        return sink(c, "rollups", new AvroRecordSerializer<>(c.rollupsTopic(), c.registry(),
                r -> r.getXRollupKey().getBytes(StandardCharsets.UTF_8)));
    }

    public static KafkaSink<DeadLetter> deadLetterSink(RollupsConfig c) {
        return sink(c, "dlq", new AvroRecordSerializer<>(c.dlqTopic(), c.registry(),
                d -> d.getOriginalKey() == null ? null : bytes(d.getOriginalKey())));
    }

    private static <T> KafkaSink<T> sink(RollupsConfig c, String name, KafkaRecordSerializationSchema<T> serializer) {
        Properties p = properties(c.kafka());
        p.setProperty("transaction.timeout.ms", Long.toString(c.transactionTimeout().toMillis()));
        return KafkaSink.<T>builder()
                .setBootstrapServers(c.bootstrapServers())
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                // Unique per job and per sink: two writers must never fence each other.
                .setTransactionalIdPrefix(c.transactionalIdPrefix() + "-" + name)
                .setKafkaProducerConfig(p)
                .build();
    }

    private static Properties properties(Map<String, String> kafka) {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /**
     * Decodes {@code llm.events.priced} records into samples. A record that cannot be decoded becomes
     * a rejected sample (routed to the dead-letter topic downstream), never an exception that would
     * restart the job forever.
     */
    static final class PricedCallDeserializer implements KafkaRecordDeserializationSchema<UsageSample> {
        private final HashMap<String, String> registry;
        private final String defaultCurrency;
        private final java.time.Duration futureSkew;
        private transient ConfluentAvroCodec<PricedLlmCall> codec;

        PricedCallDeserializer(Map<String, String> registry, String defaultCurrency, java.time.Duration futureSkew) {
            this.registry = new HashMap<>(registry);
            this.defaultCurrency = defaultCurrency;
            this.futureSkew = futureSkew;
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) {
            AvroTrust.trustGeneratedClasses();
            codec = new ConfluentAvroCodec<>(new SchemaRegistryClient(RegistryConfig.fromMap(registry)), PricedLlmCall.class, false);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<UsageSample> out) {
            UsageSample sample;
            try {
                if (record.value() == null) {
                    throw new IllegalArgumentException("record has no value (a tombstone); priced events always have one");
                }
                if (record.value().length > MAX_PRICED_BYTES) {
                    throw new OutOfBounds("the record is " + record.value().length + " bytes; a priced event is at most " + MAX_PRICED_BYTES);
                }
                PricedLlmCall priced = codec.decode(record.value());
                checkBounds(priced, record.value().length, java.time.Instant.now(), futureSkew);
                sample = UsageSamples.from(priced, defaultCurrency);
            } catch (RuntimeException e) {
                sample = rejected(record, e);
            }
            // Outside the try: collect() runs the chained operators, whose failures must fail the task
            // (and restore from the checkpoint), not be mistaken for an unreadable record.
            out.collect(sample);
        }

        private static UsageSample rejected(ConsumerRecord<byte[], byte[]> record, RuntimeException e) {
            UsageSample s = new UsageSample();
            UsageSample.Rejected r = new UsageSample.Rejected();
            r.stage = e instanceof OutOfBounds ? "rollups-validate" : "rollups-deserialize";
            r.errorClass = e instanceof OutOfBounds ? "OutOfBounds" : e.getClass().getName();
            r.errorMessage = dev.llmaudit.jobs.DeadLetters.reason(e);
            r.topic = record.topic();
            r.partition = record.partition();
            r.offset = record.offset();
            r.key = record.key();
            r.value = record.value();
            s.rejected = r;
            s.eventTimeMillis = record.timestamp();
            return s;
        }

        @Override
        public TypeInformation<UsageSample> getProducedType() {
            return TypeInformation.of(UsageSample.class);
        }
    }

    /** A priced event with its envelope: the event's own bound plus room for costs, ids and versions. */
    static final int MAX_PRICED_BYTES = dev.llmaudit.schemas.EventBounds.MAX_EVENT_BYTES + 16 * 1024;

    /** A priced event outside the contract's bounds (another writer than the enforcer, or an older one). */
    static final class OutOfBounds extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        OutOfBounds(String message) {
            super(message);
        }
    }

    /**
     * The contract's bounds on the call (tokens, times, lengths) and on its costs. Far-future times
     * are refused here so they never move event time: a watermark in the year 2100 would turn every
     * later call into a correction.
     */
    static void checkBounds(PricedLlmCall priced, int recordBytes, java.time.Instant now, java.time.Duration futureSkew) {
        // The event is part of the priced record: a record within the event bound holds an event within it, and
        // then encoding the event again only to measure it (a tenth of the source thread) is spared.
        long knownSmall = recordBytes <= dev.llmaudit.schemas.EventBounds.MAX_EVENT_BYTES ? 0 : -1;
        var problems = dev.llmaudit.schemas.EventBounds.check(priced.getEvent(),
                new dev.llmaudit.schemas.EventBounds.TimeWindow(now, futureSkew, null), knownSmall);
        if (!problems.isEmpty()) {
            throw new OutOfBounds(problems.stream().map(Object::toString).collect(java.util.stream.Collectors.joining("; ")));
        }
        for (var m : new dev.llmaudit.avro.Money[] {priced.getCost(), priced.getInputCost(), priced.getCachedInputCost(), priced.getOutputCost(),
                priced.getReasoningCost()}) {
            if (m != null) {
                dev.llmaudit.schemas.EventBounds.checkMoney(m.getAmount()).ifPresent(p -> {
                    throw new OutOfBounds("cost: " + p);
                });
            }
        }
    }

    /** Writes Avro records in the Confluent wire format, registering the schema under {@code <topic>-value}. */
    static final class AvroRecordSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
        /** How a record's Kafka key is derived (serializable, so it travels with the job). */
        interface KeyOf<T> extends java.io.Serializable {
            byte[] key(T record);
        }

        private final String topic;
        private final HashMap<String, String> registry;
        private final KeyOf<T> keyOf;
        private transient ConfluentAvroCodec<T> codec;

        AvroRecordSerializer(String topic, Map<String, String> registry, KeyOf<T> keyOf) {
            this.topic = topic;
            this.registry = new HashMap<>(registry);
            this.keyOf = keyOf;
        }

        @Override
        public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
            AvroTrust.trustGeneratedClasses();
            codec = new ConfluentAvroCodec<>(new SchemaRegistryClient(RegistryConfig.fromMap(registry)), null, true);
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(T record, KafkaSinkContext context, Long timestamp) {
            // No event-time timestamp on the record: a daily window's timestamp is its end, hours in the
            // future, and brokers refuse timestamps more than message.timestamp.after.max.ms (1 h) ahead.
            // The record's time is when it was written.
            return new ProducerRecord<>(topic, null, null, keyOf.key(record), codec.encode(ConfluentAvroCodec.subject(topic, false), record));
        }
    }
}
