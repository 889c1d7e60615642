package dev.llmaudit.enforcer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * How many bytes the enforcer's deduplication store keeps per remembered event (a bench command,
 * not a test): N events with UUID ids, one per millisecond of arrival time, through a Kafka Streams app
 * with the enforcer's own store definition and key encoding on an in-JVM broker; RocksDB's files after
 * the app closed, and the changelog's bytes on the broker; also the former layout (text keys, 8-byte values). Prints bytes per
 * entry and what that means at 1k and 10k events/s for several horizons.
 * Run: {@code cd stream-jobs/enforcer && ../../mvnw -B -Pbench test-compile exec:exec@dedup-state-bench}.
 */
public final class DedupStateBench {
    static final int EVENTS = Integer.getInteger("bench.events", 1_000_000);

    public static void main(String[] args) throws Exception {
        Duration horizon = Duration.ofDays(7);
        double compact = measure("compact keys (this build)", horizon, true);
        double text = measure("text keys, 8-byte values (before)", horizon, false);
        System.out.printf("RESULT dedup state: %.1f bytes per remembered event (was %.1f, %.2fx)%n", compact, text, text / compact);
        System.out.println("RESULT state size = events/s x horizon x bytes per event x up to 1.5 (RocksDB segments outlive the horizon by up to half of it):");
        for (Duration h : new Duration[] {Duration.ofHours(1), Duration.ofDays(1), Duration.ofDays(7)}) {
            for (int rate : new int[] {1_000, 10_000}) {
                double bytes = rate * (double) h.toSeconds() * compact;
                System.out.printf("  horizon %-5s at %,6d events/s: %8.1f GB (up to %8.1f GB)%n", h.toString().replace("PT", ""), rate,
                        bytes / 1e9, bytes * 1.5 / 1e9);
            }
        }
    }

    /**
     * The store of a dedup-only Kafka Streams app (exactly_once_v2, the enforcer's store definition and keys)
     * after N events on a real in-JVM broker: RocksDB's files once the app closed (flushed), and the
     * changelog topic's bytes on the broker.
     */
    static double measure(String name, Duration horizon, boolean compact) throws Exception {
        Path work = Files.createTempDirectory("dedup-bench");
        try (dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker broker = dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker.start(work.resolve("kafka"),
                true, 0, java.util.Map.of())) {
            broker.createTopic("in", 1, java.util.Map.of());
            Properties pp = broker.clientProperties();
            pp.put("linger.ms", "20");
            pp.put("batch.size", "262144");
            Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(pp, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < EVENTS; i++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("in", 0, t0.plusMillis(i).toEpochMilli(),
                            UUID.randomUUID().toString(), ""));
                }
            }
            StreamsBuilder b = new StreamsBuilder();
            if (compact) {
                b.addStateStore(dev.llmaudit.enforcer.EnforcementTopologyAccess.dedupStore(horizon));
            } else {
                b.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore("dedup-store", horizon.plusDays(1), horizon, false),
                        Serdes.String(), Serdes.Long()));
            }
            b.stream("in", Consumed.with(Serdes.String(), Serdes.String())).process(() -> new Processor<String, String, Void, Void>() {
                private WindowStore<Object, Object> store;

                @Override
                public void init(ProcessorContext<Void, Void> context) {
                    store = context.getStateStore("dedup-store");
                }

                @Override
                public void process(Record<String, String> r) {
                    Object key = compact ? dev.llmaudit.enforcer.EnforcementTopologyAccess.key("acme-eu", r.key()) : "7:acme-eu" + r.key();
                    try (var it = store.fetch(key, r.timestamp() - horizon.toMillis(), r.timestamp() + horizon.toMillis())) {
                        if (it.hasNext()) {
                            return;
                        }
                    }
                    store.put(key, compact ? dev.llmaudit.enforcer.EnforcementTopologyAccess.SEEN : (Object) r.timestamp(), r.timestamp());
                }
            }, "dedup-store");
            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, "dedup-bench");
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            p.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("state").toString());
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
            long start = System.nanoTime();
            try (org.apache.kafka.streams.KafkaStreams streams = new org.apache.kafka.streams.KafkaStreams(b.build(), p);
                 org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(broker.clientProperties())) {
                streams.start();
                while (true) {
                    var committed = admin.listConsumerGroupOffsets("dedup-bench").partitionsToOffsetAndMetadata().get();
                    var c = committed.get(new org.apache.kafka.common.TopicPartition("in", 0));
                    if (c != null && c.offset() >= EVENTS) {
                        break;
                    }
                    Thread.sleep(500);
                }
            }
            long store = size(work.resolve("state"));
            long changelog = size(broker.dataDir(), "dedup-bench-dedup-store-changelog");
            System.out.printf("%s: %,d events in %.1f s; RocksDB files %,d bytes = %.1f per event; changelog %,d bytes = %.1f per event%n",
                    name, EVENTS, (System.nanoTime() - start) / 1e9, store, (double) store / EVENTS, changelog, (double) changelog / EVENTS);
            return (double) store / EVENTS;
        }
    }

    static long size(Path dir, String topicPrefix) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> f.getParent().getFileName().toString().startsWith(topicPrefix))
                    .filter(f -> f.toString().endsWith(".log")).mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            return 0;
                        }
                    }).sum();
        }
    }

    static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> f.toString().endsWith(".sst") || f.toString().endsWith(".log"))
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            return 0;
                        }
                    }).sum();
        }
    }
}
