package dev.llmaudit.enforcer.bench;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.enforcer.Enforcer;
import dev.llmaudit.enforcer.EnforcerConfig;
import dev.llmaudit.jobs.PipelineTopics;
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
 * run mostly measured compilation. Run: {@code cd stream-jobs/enforcer && ../../mvnw -B -Pbench test-compile exec:exec@enforcer-bench}.
 */
public final class EnforcerBench {
    static final int EVENTS = Integer.getInteger("bench.events", 200_000);
    static final int WARMUP = Integer.getInteger("bench.warmup", 100_000);
    /** The same number of stream threads for both apps: one per core. */
    static final int THREADS = Runtime.getRuntime().availableProcessors();

    /** The traffic mixes: the stress mix of earlier sessions and a realistic one. */
    enum Mix {
        /** Every third call breaks EU residency through a global profile; every call uses a model AWS does not allow here. */
        STRESS,
        /** About 5 % of calls break a policy (EU pii through a global profile); the rest are clean calls of an allowed model. */
        REALISTIC;

        String prefix() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static void main(String[] args) throws Exception {
        AvroTrust.trustGeneratedClasses();
        Path work = Files.createTempDirectory("enforcer-bench");
        List<String> results = new ArrayList<>();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("kafka"), true, 0, Map.of());
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers())) {
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
            // -Dbench.mixes=realistic runs one mix (e.g. under a profiler).
            List<String> mixes = List.of(System.getProperty("bench.mixes", "stress,realistic").split(","));
            for (Mix mix : Mix.values()) {
                if (mixes.contains(mix.prefix())) {
                    results.addAll(run(broker, registry, client, work, mix));
                }
            }
            // Latency of the realistic mix's enforcer (left running by its run).
            if (RUNNING != null) {
                try {
                    results.add(latency(broker, client, LATENCY_TOPICS, 1_000, Duration.ofSeconds(20)));
                } finally {
                    RUNNING.close();
                }
            }
        }
        System.out.println();
        results.forEach(System.out::println);
    }

    static Enforcer RUNNING;

    /** One mix: pass-through, same-shape reference and enforcer on the same events; the figures as RESULT lines. */
    static List<String> run(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, SchemaRegistryClient client, Path work, Mix mix)
            throws Exception {
        String m = mix.prefix();
        PipelineTopics topics = PipelineTopics.defaults().prefixed(m + ".");
        broker.createTopic(topics.events(), 3, Map.of());
        broker.createTopic(m + ".warmup.events", 3, Map.of());
        broker.createTopic(m + ".warmup.passthrough", 3, Map.of());
        long t0 = System.nanoTime();
        produce(broker, client, topics.events(), 0, EVENTS, 0, mix);
        produce(broker, client, m + ".warmup.events", EVENTS, WARMUP, 0, mix);
        System.out.printf("[%s] produced %,d + %,d warm-up events in %.1f s%n", m, EVENTS, WARMUP, (System.nanoTime() - t0) / 1e9);
        if (WARMUP > 0) {
            passThrough(broker, m + ".warmup.events", m + ".warmup.passthrough", m + "-passthrough-warmup", work.resolve(m + "-pt-warmup"), WARMUP);
            enforce(broker, registry, work, m + "-warmup", PipelineTopics.defaults().prefixed(m + ".warmup."), m + ".warmup.events", WARMUP)
                    .enforcer().close();
            sameShape(broker, m + ".warmup.events", m + "-warmup-shape", work.resolve(m + "-shape-warmup"), WARMUP, mix);
        }
        // The machine is shared and noisy (one app's rate varied by 1.7x between runs): the three apps run in
        // turn, ROUNDS times, and each ratio is taken within a round; the median round is reported.
        List<double[]> rounds = new ArrayList<>();
        Writes enforcerWrites = null;
        Writes shapeWrites = null;
        for (int r = 1; r <= ROUNDS; r++) {
            String tag = m + "-r" + r;
            broker.createTopic(tag + ".passthrough", 3, Map.of());
            double passthrough = passThrough(broker, topics.events(), tag + ".passthrough", tag + "-passthrough", work.resolve(tag + "-pt"), EVENTS);
            double shape = sameShape(broker, topics.events(), tag + "-shape", work.resolve(tag + "-shape"), EVENTS, mix);
            PipelineTopics out = PipelineTopics.defaults().prefixed(tag + ".");
            Run run = enforce(broker, registry, work, tag, out, topics.events(), EVENTS);
            if (mix == Mix.REALISTIC && r == ROUNDS) {
                RUNNING = run.enforcer();
                // It reads the mix's events topic and writes the round's outputs.
                LATENCY_TOPICS = new PipelineTopics(topics.events(), out.dlq(), out.priced(), out.violations(), out.budgetStatus(),
                        out.policies(), out.rollups());
            } else {
                run.enforcer().close();
            }
            if (r == 1) {
                enforcerWrites = written(broker, List.of(out.priced(), out.violations(), out.budgetStatus(), out.dlq()), tag + "-enforcer-", EVENTS);
                shapeWrites = written(broker, List.of(tag + "-shape.priced", tag + "-shape.violations"), tag + "-shape-", EVENTS);
            }
            rounds.add(new double[] {passthrough, shape, run.rate()});
            System.out.printf("[%s] round %d: pass-through %,.0f, same-shape %,.0f, enforcer %,.0f events/s%n", m, r, passthrough, shape, run.rate());
        }
        List<double[]> byPassThrough = rounds.stream().sorted(java.util.Comparator.comparingDouble(x -> x[2] / x[0])).toList();
        List<double[]> byShape = rounds.stream().sorted(java.util.Comparator.comparingDouble(x -> x[2] / x[1])).toList();
        double[] median = byPassThrough.get(rounds.size() / 2);
        String perRound = rounds.stream().map(x -> String.format("%.2f/%.2f", x[2] / x[0], x[2] / x[1]))
                .collect(java.util.stream.Collectors.joining(", "));
        return List.of(
                String.format("RESULT [%s] median round: pass-through %,.0f events/s; same-shape reference %,.0f events/s; enforcer %,.0f events/s", m,
                        median[0], median[1], median[2]),
                String.format("RESULT [%s] enforcer / pass-through %.2f (median of %d rounds; target >= 0.35 on the realistic mix); enforcer / same-shape"
                        + " %.2f (median; target >= 0.8); per round (pass-through/same-shape): %s", m,
                        median[2] / median[0], rounds.size(), byShape.get(rounds.size() / 2)[2] / byShape.get(rounds.size() / 2)[1], perRound),
                String.format("RESULT [%s] records written per event: enforcer %.2f (target <= 2.2 on the realistic mix), same-shape %.2f%s", m,
                        enforcerWrites.perEvent(), shapeWrites.perEvent(), enforcerWrites.breakdown()));
    }

    /** Rounds of the three timed apps per mix ({@code -Dbench.rounds}). */
    static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    static PipelineTopics LATENCY_TOPICS;

    /** A timed enforcer run: the instance (still running) and its rate. */
    record Run(Enforcer enforcer, double rate) {}

    /** Starts an enforcer named {@code run} on these topics, waits until it has priced {@code expected} events; its rate. */
    static Run enforce(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, Path work, String run, PipelineTopics topics,
                       String events, int expected) throws Exception {
        Path config = work.resolve(run + "-enforcer.properties");
        Files.writeString(config, String.join("\n", "application.id=" + run + "-enforcer", "bootstrap.servers=" + broker.bootstrapServers(),
                "schema.registry.url=" + registry.url(), "bundle.dir=" + Path.of(System.getProperty("llmaudit.bundle", "../../policies/bundle")).toAbsolutePath(),
                "state.dir=" + work.resolve(run + "-enforcer-state"), "http.port=0", "topic.partitions=3",
                "topic.events=" + events, "topic.priced=" + topics.priced(), "topic.violations=" + topics.violations(),
                "topic.budget.status=" + topics.budgetStatus(), "topic.dlq=" + topics.dlq(), "topic.policies=" + topics.policies(),
                "streams.num.stream.threads=" + THREADS, "streams.commit.interval.ms=" + System.getProperty("bench.commit", "100"),
                // -Dbench.extra=streams.<key>=<value> to try a Kafka Streams setting on the enforcer only.
                System.getProperty("bench.extra", "")));
        long start = System.nanoTime();
        Enforcer enforcer = Enforcer.start(EnforcerConfig.load(config, Map.of()));
        try {
            long firstOutput = 0;
            long seenAtFirst = 0;
            long done;
            while ((done = lastStable(broker, topics.priced())) < expected) {
                if (firstOutput == 0 && done > 0) {
                    firstOutput = System.nanoTime();
                    seenAtFirst = done;
                }
                Thread.sleep(200);
            }
            long end = System.nanoTime();
            double rate = expected / ((end - start) / 1e9);
            System.out.printf("enforcer %s (exactly_once_v2, incl. start-up): %,.0f events/s; first output after %.1f s, then %,.0f events/s%n",
                    run, rate, (firstOutput - start) / 1e9, (expected - seenAtFirst) / ((end - firstOutput) / 1e9));
            return new Run(enforcer, rate);
        } catch (Exception | Error e) {
            enforcer.close();
            throw e;
        }
    }

    static LlmCallEvent event(int i, Random rnd, Mix mix) {
        Instant t = Instant.parse("2026-11-01T00:00:00Z").plusSeconds(i);
        if (mix == Mix.STRESS) {
            // Every third call breaks EU residency (pii through a global profile), so violations are frequent enough to time.
            boolean breach = i % 3 == 0;
            return LlmCallEvent.newBuilder().setEventId("e-" + i).setEventTime(t)
                    .setTenant("acme-eu").setTeam("team-" + rnd.nextInt(20)).setCloud(Cloud.aws).setRegion("eu-central-1")
                    .setRequestModel(breach ? "global.anthropic.claude-sonnet-4-5-20250929-v1:0" : "eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
                    .setDataClassification(breach ? "pii" : "internal").setInputTokens((long) rnd.nextInt(5000)).setOutputTokens((long) rnd.nextInt(500))
                    .build();
        }
        // Realistic: ids as clients make them (UUIDs), one call in twenty breaks EU residency, the rest are clean calls of a
        // model AWS allows here, in its cheapest region (no savings advice either).
        boolean breach = i % 20 == 0;
        LlmCallEvent.Builder b = LlmCallEvent.newBuilder().setEventId(new java.util.UUID(0x11L * i, i).toString()).setEventTime(t)
                .setTeam("team-" + rnd.nextInt(20)).setCloud(Cloud.aws).setInputTokens((long) rnd.nextInt(5000))
                .setOutputTokens((long) rnd.nextInt(500));
        return breach
                ? b.setTenant("acme-eu").setRegion("eu-central-1").setRequestModel("global.openai.gpt-oss-120b-1:0").setDataClassification("pii").build()
                : b.setTenant("acme").setRegion("us-east-1").setRequestModel("openai.gpt-oss-120b-1:0").setDataClassification("internal").build();
    }

    static void produce(EmbeddedKafkaBroker broker, SchemaRegistryClient client, String topic, int from, int count, int perSecond, Mix mix)
            throws Exception {
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
                }
                LlmCallEvent e = event(i, rnd, mix);
                if (perSecond > 0) {
                    SENT.put(e.getEventId(), System.nanoTime());
                }
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
     * The enforcer's Kafka work without its Java work, writing what the enforcer writes for the mix: per event,
     * a dedup window-store fetch and put (changelogged, compact key, empty value), a record twice the input's
     * size to one topic, the mix's violations to another (stress: two per breach and one per other call, as
     * the enforcer finds for it; realistic: one per breach), and budget sums per task flushed every 200 ms
     * through a repartition topic into a cached key-value store (20 teams). No Avro, no policies: what any
     * implementation of this topology pays in Kafka work.
     */
    static double sameShape(EmbeddedKafkaBroker broker, String from, String applicationId, Path state, int expected, Mix mix)
            throws Exception {
        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore("dedup", Duration.ofDays(1), Duration.ofDays(1), false),
                Serdes.Bytes(), Serdes.ByteArray()));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("pending"), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("budgets"), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled());
        KStream<String, byte[]> fresh = b.stream(from, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .process(() -> new Processor<String, byte[], String, byte[]>() {
                    private ProcessorContext<String, byte[]> context;
                    private WindowStore<org.apache.kafka.common.utils.Bytes, byte[]> seen;

                    @Override
                    public void init(ProcessorContext<String, byte[]> context) {
                        this.context = context;
                        this.seen = context.getStateStore("dedup");
                    }

                    @Override
                    public void process(Record<String, byte[]> r) {
                        var key = dev.llmaudit.enforcer.EnforcementTopologyAccess.key("acme", r.key());
                        try (var it = seen.fetch(key, r.timestamp() - Duration.ofDays(1).toMillis(), r.timestamp())) {
                            if (it.hasNext()) {
                                return;
                            }
                        }
                        seen.put(key, new byte[0], r.timestamp());
                        context.forward(r);
                    }
                }, "dedup");
        fresh.mapValues(v -> {
            byte[] twice = java.util.Arrays.copyOf(v, v.length * 2);
            System.arraycopy(v, 0, twice, v.length, v.length);
            return twice;
        }).to(applicationId + ".priced", Produced.with(Serdes.String(), Serdes.ByteArray()));
        // The violations the enforcer writes for this mix (the breach is every third / twentieth event: hash of the key here).
        fresh.flatMapValues((k, v) -> {
            boolean breach = Math.floorMod(k.hashCode(), mix == Mix.STRESS ? 3 : 20) == 0;
            int n = mix == Mix.STRESS ? (breach ? 2 : 1) : (breach ? 1 : 0);
            return java.util.Collections.nCopies(n, v);
        }).to(applicationId + ".violations", Produced.with(Serdes.String(), Serdes.ByteArray()));
        fresh.map((k, v) -> KeyValue.pair("budget|team-" + Math.floorMod(k.hashCode(), 20), java.util.Arrays.copyOf(v, 60)))
                .process(() -> new Processor<String, byte[], String, byte[]>() {
                    private ProcessorContext<String, byte[]> context;
                    private KeyValueStore<String, byte[]> pending;
                    private final java.util.Set<String> keys = new java.util.LinkedHashSet<>();

                    @Override
                    public void init(ProcessorContext<String, byte[]> context) {
                        this.context = context;
                        this.pending = context.getStateStore("pending");
                        context.schedule(Duration.ofMillis(200), org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME, now -> {
                            for (String key : keys) {
                                byte[] sum = pending.get(key);
                                if (sum != null) {
                                    context.forward(new Record<>(key, sum, now));
                                    pending.delete(key);
                                }
                            }
                            keys.clear();
                        });
                    }

                    @Override
                    public void process(Record<String, byte[]> r) {
                        pending.get(r.key());
                        pending.put(r.key(), r.value());
                        keys.add(r.key());
                    }
                }, "pending")
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

    /**
     * Records an app wrote per input event: its output topics plus its internal topics (changelogs,
     * repartitions) whose names start with {@code internalPrefix}, and the breakdown per topic.
     */
    record Writes(double perEvent, String breakdown) {}

    static Writes written(EmbeddedKafkaBroker broker, List<String> outputs, String internalPrefix, int events) throws Exception {
        StringBuilder out = new StringBuilder();
        long total = 0;
        try (Admin admin = Admin.create(broker.clientProperties())) {
            List<String> topics = new ArrayList<>(outputs);
            admin.listTopics().names().get().stream().filter(t -> t.startsWith(internalPrefix)).sorted().forEach(topics::add);
            for (String t : topics) {
                long n = lastStable(broker, t);
                total += n;
                if (n > 0) {
                    out.append(String.format("%n    %-70s %.3f", t, (double) n / events));
                }
            }
        }
        return new Writes((double) total / events, out.toString());
    }

    static String latency(EmbeddedKafkaBroker broker, SchemaRegistryClient client, PipelineTopics topics, int perSecond, Duration d)
            throws Exception {
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
                    produce(broker, client, topics.events(), EVENTS + WARMUP, count, perSecond, Mix.REALISTIC);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            producer.start();
            long deadline = System.nanoTime() + d.plusSeconds(15).toNanos();
            int expected = count / 20;
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
        return String.format("RESULT [realistic] latency at %,d events/s (%,d violations timed): produce -> violation visible"
                + " (read_committed) p50 %.0f ms, p99 %.0f ms (target p99 <= 1000 ms)", perSecond, latencies.size(), p50, p99);
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
