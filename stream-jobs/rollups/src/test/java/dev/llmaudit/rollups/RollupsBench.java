package dev.llmaudit.rollups;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.AvroTrust;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Rollups benchmark (a bench command, not a test). One in-JVM broker, one topic of priced events:
 * (1) a Flink source -> exactly-once sink pass-through of the topic, (2) the rollups job over the same
 * topic; both bounded, same parallelism and checkpoint interval, timed from submission to the end of
 * input (start-up included in both). Prints both rates and the ratio. Run:
 * {@code cd stream-jobs/rollups && ../../mvnw -B -Pbench test-compile exec:exec@rollups-bench}.
 */
public final class RollupsBench {
    static final int EVENTS = Integer.getInteger("bench.rollups.events", 500_000);
    /** Event-time span of the input: the longer, the fewer calls per rollup (and the more rollups per call). */
    static final int DAYS = Integer.getInteger("bench.rollups.days", 3);

    public static void main(String[] args) throws Exception {
        AvroTrust.trustGeneratedClasses();
        Path work = Files.createTempDirectory("rollups-bench");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("kafka"), true, 0, Map.of());
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers())) {
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
            broker.createTopic("bench.priced", 3, Map.of());
            broker.createTopic("bench.copy", 3, Map.of());
            long t0 = System.nanoTime();
            produce(broker, client, "bench.priced");
            System.out.printf("produced %,d priced events over %d days of event time in %.1f s%n", EVENTS, DAYS, (System.nanoTime() - t0) / 1e9);

            Path config = work.resolve("rollups.properties");
            Files.writeString(config, String.join("\n", "bootstrap.servers=" + broker.bootstrapServers(), "schema.registry.url=" + registry.url(),
                    "bundle.dir=" + PricedEvents.BUNDLE, "topic.priced=bench.priced", "topic.rollups=bench.rollups", "topic.dlq=bench.dlq",
                    "bounded=true", "parallelism=2", "checkpoint.interval=PT2S", "group.id=bench-rollups",
                    "checkpoint.dir=" + work.resolve("checkpoints")));
            RollupsConfig c = RollupsConfig.load(config, Map.of());

            double passThrough = passThrough(c, broker);
            System.out.printf("pass-through (Flink Kafka source -> exactly-once Kafka sink, bytes): %,.0f events/s%n", passThrough);
            double rollups = rollups(c);
            System.out.printf("rollups job (decode, price alternatives, hourly+daily windows, exactly-once sinks): %,.0f events/s%n", rollups);
            System.out.printf("rollups committed: %,d (%.1f calls per rollup)%n", committed(broker, c.rollupsTopic()),
                    EVENTS * 2.0 / committed(broker, c.rollupsTopic()));
            System.out.printf("RESULT throughput: pass-through %,.0f events/s, rollups %,.0f events/s, ratio %.2f (target >= 0.6)%n",
                    passThrough, rollups, rollups / passThrough);
        }
    }

    static double passThrough(RollupsConfig c, EmbeddedKafkaBroker broker) throws Exception {
        // Its own checkpoint directory: the rollups job resumes from the newest checkpoint in its own.
        StreamExecutionEnvironment env = RollupsMain.environment(c.withCheckpointDir(c.checkpointDir().resolveSibling("pass-through-checkpoints")));
        KafkaSource<byte[]> source = KafkaSource.<byte[]>builder().setBootstrapServers(c.bootstrapServers()).setTopics(c.pricedTopic())
                .setGroupId("bench-pass-through").setStartingOffsets(OffsetsInitializer.earliest()).setBounded(OffsetsInitializer.latest())
                .setProperty("isolation.level", "read_committed")
                .setDeserializer(new KafkaRecordDeserializationSchema<>() {
                    @Override
                    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<byte[]> out) {
                        out.collect(record.value());
                    }

                    @Override
                    public TypeInformation<byte[]> getProducedType() {
                        return PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;
                    }
                }).build();
        Properties p = new Properties();
        p.setProperty("transaction.timeout.ms", "600000");
        KafkaSink<byte[]> sink = KafkaSink.<byte[]>builder().setBootstrapServers(c.bootstrapServers())
                .setRecordSerializer(new CopyTo("bench.copy"))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).setTransactionalIdPrefix("bench-pass-through")
                .setKafkaProducerConfig(p).build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "priced bytes").sinkTo(sink);
        long start = System.nanoTime();
        env.execute("bench-pass-through");
        return EVENTS / ((System.nanoTime() - start) / 1e9);
    }

    /** Records a read_committed consumer sees in the topic (every revision, not only the latest). */
    static long committed(EmbeddedKafkaBroker broker, String topic) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(broker.clientProperties())) {
            var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .map(pi -> new org.apache.kafka.common.TopicPartition(topic, pi.partition()))
                    .collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> org.apache.kafka.clients.admin.OffsetSpec.latest()));
            return admin.listOffsets(partitions, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    /** Writes each value unchanged. */
    static final class CopyTo implements KafkaRecordSerializationSchema<byte[]> {
        private final String topic;

        CopyTo(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(byte[] value, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, timestamp, null, value);
        }
    }

    static double rollups(RollupsConfig c) throws Exception {
        StreamExecutionEnvironment env = RollupsMain.environment(c);
        RollupsMain.define(env, c, Clock.systemUTC());
        long start = System.nanoTime();
        env.execute("bench-rollups");
        return EVENTS / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Multi-cloud priced events over {@link #DAYS} days and about 100 dimension keys: by default about 70
     * calls per hourly rollup (a team's app calling a model about once a minute); roughly in time order
     * (up to a minute of jitter against 30 s of out-of-orderness, so some windows get revisions).
     */
    static void produce(EmbeddedKafkaBroker broker, SchemaRegistryClient client, String topic) throws Exception {
        Properties p = broker.clientProperties();
        p.put("acks", "all");
        p.put("linger.ms", "10");
        p.put("batch.size", "262144");
        Random rnd = new Random(1);
        Instant start = Instant.parse("2026-10-01T00:00:00Z");
        long step = Duration.ofDays(DAYS).toMillis() / EVENTS;
        try (KafkaProducer<String, PricedLlmCall> producer = new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(client, true))) {
            for (int i = 0; i < EVENTS; i++) {
                LlmCallEvent e = PricedEvents.call("b-" + i, start.plusMillis(i * step + rnd.nextInt(60_000)), rnd.nextInt(8), rnd);
                e.setTeam(e.getTeam() + "-" + rnd.nextInt(12));
                producer.send(new ProducerRecord<>(topic, e.getEventId(), PricedEvents.price(e)));
            }
        }
    }
}
