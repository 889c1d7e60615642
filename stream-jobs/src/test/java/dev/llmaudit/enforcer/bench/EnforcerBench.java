package dev.llmaudit.enforcer.bench;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.enforcer.Enforcer;
import dev.llmaudit.enforcer.EnforcerConfig;
import dev.llmaudit.enforcer.EnforcerTopics;
import dev.llmaudit.schemas.AvroTrust;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Enforcer benchmark (a bench command, not a test). One in-JVM broker, the same generated events:
 * (1) a Kafka Streams pass-through with exactly_once_v2, (2) the enforcer; events/s of each and the
 * ratio; then (3) produce -> violation-visible latency at a steady rate. Before anything is timed,
 * both apps run once on their own warm-up events: on 2 cores the JIT compiling the enforcer's code
 * took a third of the machine during a cold 20 s run (measured from /proc per thread), so a cold
 * run mostly measured compilation. Run: {@code ./mvnw -B -Pbench -DskipTests -pl stream-jobs -am verify}.
 */
public final class EnforcerBench {
    static final int EVENTS = Integer.getInteger("bench.events", 200_000);
    static final int WARMUP = Integer.getInteger("bench.warmup", 100_000);
    /** The same number of stream threads for both apps: one per core. */
    static final int THREADS = Runtime.getRuntime().availableProcessors();

    public static void main(String[] args) throws Exception {
        AvroTrust.trustGeneratedClasses();
        Path work = Files.createTempDirectory("enforcer-bench");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("kafka"), true, 0, Map.of());
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers())) {
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
            EnforcerTopics topics = EnforcerTopics.defaults();
            broker.createTopic(topics.events(), 3, Map.of());
            broker.createTopic("bench.passthrough", 3, Map.of());
            broker.createTopic("warmup.events", 3, Map.of());
            broker.createTopic("warmup.passthrough", 3, Map.of());
            long t0 = System.nanoTime();
            produce(broker, client, topics.events(), 0, EVENTS, 0);
            // Warm-up events have their own ids (no overlap with the timed ones) and their own topics.
            produce(broker, client, "warmup.events", EVENTS, WARMUP, 0);
            System.out.printf("produced %,d + %,d warm-up events in %.1f s%n", EVENTS, WARMUP, (System.nanoTime() - t0) / 1e9);

            if (WARMUP > 0) {
                long w0 = System.nanoTime();
                passThrough(broker, "warmup.events", "warmup.passthrough", "bench-passthrough-warmup", work.resolve("pt-warmup"), WARMUP);
                enforce(broker, registry, work, "warmup", WARMUP);
                System.out.printf("warm-up: both apps on %,d events in %.1f s%n", WARMUP, (System.nanoTime() - w0) / 1e9);
            }

            if (WARMUP > 0) {
                sameShape(broker, "warmup.events", "warmup-shape", work.resolve("shape-warmup"), WARMUP);
            }
            double passthrough = passThrough(broker, topics.events(), "bench.passthrough", "bench-passthrough", work.resolve("pt-state"), EVENTS);
            System.out.printf("pass-through (exactly_once_v2): %,.0f events/s%n", passthrough);
            double shape = sameShape(broker, topics.events(), "bench-shape", work.resolve("shape-state"), EVENTS);
            System.out.printf("same-shape topology without Avro or policies (exactly_once_v2): %,.0f events/s (%.2f of the pass-through)%n",
                    shape, shape / passthrough);

            // Left running for the latency phase.
            Run run = enforce(broker, registry, work, "bench", EVENTS);
            try {
                System.out.printf("RESULT throughput: pass-through %,.0f events/s, enforcer %,.0f events/s, ratio %.2f (target >= 0.5)%n",
                        passthrough, run.rate(), run.rate() / passthrough);
                System.out.printf("RESULT enforcer / same-shape topology: %.2f%n", run.rate() / shape);
                System.out.println("records written per input event: " + written(broker, EVENTS));
                latency(broker, client, topics, 1_000, Duration.ofSeconds(20));
            } finally {
                run.enforcer().close();
            }
        }
    }

    /** A timed enforcer run: the instance (still running unless it was the warm-up) and its rate. */
    record Run(Enforcer enforcer, double rate) {}

    /**
     * Starts an enforcer (application id and topics named after {@code run}; "bench" uses the default
     * topics), waits until it has priced {@code expected} events, prints its rate and returns it running.
     * The warm-up run is closed at once.
     */
    static Run enforce(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, Path work, String run, int expected)
            throws Exception {
        EnforcerTopics defaults = EnforcerTopics.defaults();
        boolean timed = run.equals("bench");
        String priced = timed ? defaults.priced() : run + ".priced";
        Path config = work.resolve(run + "-enforcer.properties");
        Files.writeString(config, String.join("\n", "application.id=" + run + "-enforcer", "bootstrap.servers=" + broker.bootstrapServers(),
                "schema.registry.url=" + registry.url(), "bundle.dir=" + Path.of(System.getProperty("llmaudit.bundle", "../policies/bundle")).toAbsolutePath(),
                "state.dir=" + work.resolve(run + "-enforcer-state"), "http.port=0", "topic.partitions=3",
                timed ? "" : "topic.events=" + run + ".events\ntopic.priced=" + priced + "\ntopic.violations=" + run + ".violations\n"
                        + "topic.budget.status=" + run + ".budget.status\ntopic.dlq=" + run + ".dlq",
                "streams.num.stream.threads=" + THREADS, "streams.commit.interval.ms=" + System.getProperty("bench.commit", "100"),
                // -Dbench.extra=streams.<key>=<value> to try a Kafka Streams setting on the enforcer only.
                System.getProperty("bench.extra", "")));
        long start = System.nanoTime();
        Enforcer enforcer = Enforcer.start(EnforcerConfig.load(config, Map.of()));
        try {
            long firstOutput = 0;
            long seenAtFirst = 0;
            long done;
            while ((done = lastStable(broker, priced)) < expected) {
                if (firstOutput == 0 && done > 0) {
                    firstOutput = System.nanoTime();
                    seenAtFirst = done;
                }
                Thread.sleep(200);
            }
            long end = System.nanoTime();
            double rate = expected / ((end - start) / 1e9);
            System.out.printf("enforcer%s (exactly_once_v2, incl. start-up): %,.0f events/s; first output after %.1f s, then %,.0f events/s%n",
                    timed ? "" : " " + run, rate, (firstOutput - start) / 1e9, (expected - seenAtFirst) / ((end - firstOutput) / 1e9));
            if (!timed) {
                enforcer.close();
            }
            return new Run(enforcer, rate);
        } catch (Exception | Error e) {
            enforcer.close();
            throw e;
        }
    }

    static LlmCallEvent event(int i, Random rnd) {
        // Every third call breaks EU residency (pii through a global profile), so violations are frequent enough to time.
        boolean breach = i % 3 == 0;
        return LlmCallEvent.newBuilder().setEventId("e-" + i).setEventTime(Instant.parse("2026-11-01T00:00:00Z").plusSeconds(i))
                .setTenant("acme-eu").setTeam("team-" + rnd.nextInt(20)).setCloud(Cloud.aws).setRegion("eu-central-1")
                .setRequestModel(breach ? "global.anthropic.claude-sonnet-4-5-20250929-v1:0" : "eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
                .setDataClassification(breach ? "pii" : "internal").setInputTokens((long) rnd.nextInt(5000)).setOutputTokens((long) rnd.nextInt(500))
                .build();
    }

    static void produce(EmbeddedKafkaBroker broker, SchemaRegistryClient client, String topic, int from, int count, int perSecond) throws Exception {
        Properties p = broker.clientProperties();
        p.put("acks", "all");
        p.put("linger.ms", perSecond > 0 ? "0" : "10");
        p.put("batch.size", "262144");
        Random rnd = new Random(from);
        try (KafkaProducer<String, LlmCallEvent> producer = new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(client, true))) {
            long next = System.nanoTime();
            for (int i = from; i < from + count; i++) {
                if (perSecond > 0) {
                    next += 1_000_000_000L / perSecond;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    SENT.put("e-" + i, System.nanoTime());
                }
                LlmCallEvent e = event(i, rnd);
                producer.send(new ProducerRecord<>(topic, e.getEventId(), e));
            }
        }
    }

    static final Map<String, Long> SENT = new ConcurrentHashMap<>();

    static double passThrough(EmbeddedKafkaBroker broker, String from, String to, String applicationId, Path state, int expected)
            throws Exception {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(from, Consumed.with(Serdes.String(), Serdes.ByteArray())).to(to, Produced.with(Serdes.String(), Serdes.ByteArray()));
        return timed(broker, b, applicationId, state, to, expected);
    }

    /**
     * The enforcer's Kafka work without its Java work: per event, a dedup window-store fetch and put
     * (changelogged), a record twice the input's size to one topic, two records to another (the
     * enforcer writes two violations per event of this mix), and a small record through a
     * repartition topic into a cached key-value store (20 keys, like the bench's budget instances).
     * No Avro, no policies: what any implementation of this topology pays in Kafka work.
     */
    static double sameShape(EmbeddedKafkaBroker broker, String from, String applicationId, Path state, int expected) throws Exception {
        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore("dedup", Duration.ofDays(8), Duration.ofDays(7), false),
                Serdes.String(), Serdes.Long()));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("budgets"), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled());
        KStream<String, byte[]> fresh = b.stream(from, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .process(() -> new Processor<String, byte[], String, byte[]>() {
                    private ProcessorContext<String, byte[]> context;
                    private WindowStore<String, Long> seen;

                    @Override
                    public void init(ProcessorContext<String, byte[]> context) {
                        this.context = context;
                        this.seen = context.getStateStore("dedup");
                    }

                    @Override
                    public void process(Record<String, byte[]> r) {
                        try (var it = seen.fetch(r.key(), r.timestamp() - Duration.ofDays(7).toMillis(), r.timestamp())) {
                            if (it.hasNext()) {
                                return;
                            }
                        }
                        seen.put(r.key(), r.timestamp(), r.timestamp());
                        context.forward(r);
                    }
                }, "dedup");
        fresh.mapValues(v -> {
            byte[] twice = java.util.Arrays.copyOf(v, v.length * 2);
            System.arraycopy(v, 0, twice, v.length, v.length);
            return twice;
        }).to(applicationId + ".priced", Produced.with(Serdes.String(), Serdes.ByteArray()));
        // Two violations per event: what the enforcer writes for these events (printed after its run).
        fresh.flatMapValues(v -> List.of(v, v)).to(applicationId + ".violations", Produced.with(Serdes.String(), Serdes.ByteArray()));
        fresh.map((k, v) -> KeyValue.pair("budget|team-" + Math.floorMod(k.hashCode(), 20), java.util.Arrays.copyOf(v, 60)))
                .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-budget"))
                .process(() -> new Processor<String, byte[], Void, Void>() {
                    private KeyValueStore<String, byte[]> budgets;

                    @Override
                    public void init(ProcessorContext<Void, Void> context) {
                        this.budgets = context.getStateStore("budgets");
                    }

                    @Override
                    public void process(Record<String, byte[]> r) {
                        budgets.get(r.key());
                        budgets.put(r.key(), r.value());
                    }
                }, "budgets");
        for (String t : List.of(applicationId + ".priced", applicationId + ".violations")) {
            broker.createTopic(t, 3, Map.of());
        }
        return timed(broker, b, applicationId, state, applicationId + ".priced", expected);
    }

    /** Runs a plain Kafka Streams app (exactly_once_v2, the enforcer's thread count and commit interval) until {@code expected} records are committed to {@code output}; its events/s. */
    static double timed(EmbeddedKafkaBroker broker, StreamsBuilder b, String applicationId, Path state, String output, int expected)
            throws Exception {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, System.getProperty("bench.commit", "100"));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(THREADS));
        long start = System.nanoTime();
        try (KafkaStreams streams = new KafkaStreams(b.build(), p)) {
            streams.start();
            while (lastStable(broker, output) < expected) {
                Thread.sleep(200);
            }
            return expected / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** Records in each topic the timed enforcer wrote, per input event. */
    static String written(EmbeddedKafkaBroker broker, int events) throws Exception {
        StringBuilder out = new StringBuilder();
        try (Admin admin = Admin.create(broker.clientProperties())) {
            for (String t : new java.util.TreeSet<>(admin.listTopics().names().get())) {
                if (t.startsWith("llm.") || t.startsWith("bench-enforcer-")) {
                    long n = lastStable(broker, t);
                    if (n > 0 && !t.equals("llm.events")) {
                        out.append(String.format("%n  %-60s %.2f", t, (double) n / events));
                    }
                }
            }
        }
        return out.toString();
    }

    static void latency(EmbeddedKafkaBroker broker, SchemaRegistryClient client, EnforcerTopics topics, int perSecond, Duration d) throws Exception {
        int count = (int) (perSecond * d.toSeconds());
        Properties c = broker.clientProperties();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-latency");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<Long> latencies = new ArrayList<>();
        try (KafkaConsumer<String, dev.llmaudit.avro.PolicyViolation> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new dev.llmaudit.schemas.wire.ConfluentAvroDeserializer<>(client, dev.llmaudit.avro.PolicyViolation.class))) {
            consumer.subscribe(List.of(topics.violations()));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(100));
            }
            consumer.seekToEnd(consumer.assignment());
            consumer.assignment().forEach(consumer::position);
            Thread producer = new Thread(() -> {
                try {
                    produce(broker, client, topics.events(), EVENTS, count, perSecond);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            producer.start();
            long deadline = System.nanoTime() + d.plusSeconds(15).toNanos();
            int expected = (count + 2) / 3;
            Map<String, Boolean> seen = new HashMap<>();
            while (seen.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(50)).forEach(r -> {
                    long now = System.nanoTime();
                    String id = r.value().getEventId();
                    Long sent = id == null ? null : SENT.get(id);
                    if (sent != null && seen.putIfAbsent(id, true) == null) {
                        latencies.add(now - sent);
                    }
                });
            }
            producer.join();
        }
        latencies.sort(null);
        double p50 = latencies.get(latencies.size() / 2) / 1e6;
        double p99 = latencies.get(Math.min(latencies.size() - 1, latencies.size() * 99 / 100)) / 1e6;
        System.out.printf("RESULT latency at %,d events/s (%,d violations timed): produce -> violation visible (read_committed) p50 %.0f ms, p99 %.0f ms (target p99 <= 1000 ms)%n",
                perSecond, latencies.size(), p50, p99);
    }

    static long lastStable(EmbeddedKafkaBroker broker, String topic) throws Exception {
        try (Admin admin = Admin.create(broker.clientProperties())) {
            if (!admin.listTopics().names().get().contains(topic)) {
                return 0;
            }
            var parts = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            parts.forEach(p -> specs.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get().values().stream()
                    .mapToLong(o -> o.offset()).sum();
        }
    }
}
