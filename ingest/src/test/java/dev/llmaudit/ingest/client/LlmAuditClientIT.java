package dev.llmaudit.ingest.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.ingest.Expected;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.TestEvents;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaClusterExtension.class)
class LlmAuditClientIT {

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void recordsReachTheTopicKeyedByEventIdWithDefaultsAndSourceStamped(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                       @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 3, Map.of());
        ClientConfig config = ClientConfig.builder().bootstrapServers(cluster.bootstrapServers()).schemaRegistryUrl(registry.url())
                .topic(topic).spoolDir(spool).defaultAttribute("app", "claims").defaultAttribute("team", "search")
                .hmacKey("k3y".getBytes()).build();
        try (LlmAuditClient client = LlmAuditClient.create(config, new SimpleMeterRegistry())) {
            LlmCallEvent e = TestEvents.event("e-1");
            e.setPromptHash(client.hash("what is in my claim?"));
            assertThat(client.record(e)).isTrue();
            await(() -> client.stats().sent() == 1, Duration.ofSeconds(30), "the send");
        }
        List<ConsumerRecord<String, LlmCallEvent>> got = TestEvents.readToEnd(cluster, registry.url(), topic);
        assertThat(got).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("e-1");
            assertThat(r.value().getApp()).isEqualTo("claims");
            assertThat(r.value().getTeam()).isEqualTo("search");
            assertThat(r.value().getSource()).isEqualTo("llm-audit-java/0.1.0");
            // HMAC-SHA256("k3y", "what is in my claim?"), computed here with the JDK: the text itself is not in the event.
            assertThat(r.value().getPromptHash()).isEqualTo(Expected.hmacSha256("k3y", "what is in my claim?"));
            assertThat(r.value().toString()).doesNotContain("what is in my claim");
        });
    }

    /** Nothing listens here: every send times out and goes to the spool. */
    static final String NO_KAFKA = "127.0.0.1:1";

    @Test
    void whenMemoryAndSpoolAreFullDropNewestDropsAtOnceAndCountsEachDrop(EmbeddedSchemaRegistry registry, @TempDir Path dir)
            throws Exception {
        ClientConfig config = ClientConfig.builder().bootstrapServers(NO_KAFKA).schemaRegistryUrl(registry.url()).spoolDir(dir.resolve("spool"))
                .bufferCapacity(10).segmentBytes(4096).spoolMaxBytes(4096).spoolFullPolicy(ClientConfig.SpoolFullPolicy.DROP_NEWEST)
                .deliveryTimeout(Duration.ofSeconds(5)).build();   // close() spends up to this trying a broker that is not there
        int refused = 0;
        try (LlmAuditClient client = LlmAuditClient.create(config, new SimpleMeterRegistry())) {
            for (int i = 0; i < 500; i++) {
                if (!client.record(TestEvents.event("d-" + i))) {
                    refused++;
                }
            }
            LlmAuditClient.Stats stats = client.stats();
            assertThat(refused).as("10 in memory, about 4 KiB of spool, the rest refused").isGreaterThan(400);
            assertThat(stats.recorded()).isEqualTo(500 - refused);
            // Every refusal is a counted drop; so is an accepted event the sender could not spool after its send failed
            // (at most the 10 the memory buffer held): nothing is lost uncounted.
            assertThat(stats.dropped()).isBetween((long) refused, (long) refused + 10);
            assertThat(stats.spoolBytes()).isLessThanOrEqualTo(4096);
        }
    }

    @Test
    void whenMemoryAndSpoolAreFullBlockWaitsItsTimeoutThenDropsAndCounts(EmbeddedSchemaRegistry registry, @TempDir Path dir)
            throws Exception {
        ClientConfig config = ClientConfig.builder().bootstrapServers(NO_KAFKA).schemaRegistryUrl(registry.url()).spoolDir(dir.resolve("spool"))
                .bufferCapacity(10).segmentBytes(4096).spoolMaxBytes(4096).spoolFullPolicy(ClientConfig.SpoolFullPolicy.BLOCK)
                .blockTimeout(Duration.ofMillis(300)).deliveryTimeout(Duration.ofSeconds(60)).build();
        try (LlmAuditClient client = LlmAuditClient.create(config, new SimpleMeterRegistry())) {
            int i = 0;
            while (client.record(TestEvents.event("b-" + i))) {
                i++;
                assertThat(i).as("the spool must fill").isLessThan(1_000);
            }
            long started = System.nanoTime();
            assertThat(client.record(TestEvents.event("b-last"))).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("block waits for space before it drops")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(client.stats().dropped()).isEqualTo(2);   // the one that ended the loop, and b-last
            assertThat(client.stats().recorded()).isEqualTo(i);
        }
    }

    @Test
    void aSecondClientOnTheSameSpoolDirectoryDeliversWhatTheFirstCouldNot(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                        @TempDir Path dir) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 3, Map.of());
        Path spool = dir.resolve("spool");
        // The first client never reaches Kafka: close() spools what it could not send.
        ClientConfig offline = ClientConfig.builder().bootstrapServers(NO_KAFKA).schemaRegistryUrl(registry.url()).topic(topic)
                .spoolDir(spool).deliveryTimeout(Duration.ofSeconds(2)).build();
        try (LlmAuditClient first = LlmAuditClient.create(offline, new SimpleMeterRegistry())) {
            for (int i = 0; i < 300; i++) {
                assertThat(first.record(TestEvents.event("r-" + i))).isTrue();
            }
        }
        ClientConfig online = ClientConfig.builder().bootstrapServers(cluster.bootstrapServers()).schemaRegistryUrl(registry.url())
                .topic(topic).spoolDir(spool).build();
        try (LlmAuditClient second = LlmAuditClient.create(online, new SimpleMeterRegistry())) {
            await(() -> second.stats().replayed() == 300, Duration.ofSeconds(60), "the second client to replay the first one's spool");
            assertThat(second.stats().dropped()).isZero();
        }
        List<String> ids = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(r -> r.value().getEventId()).toList();
        assertThat(ids).hasSize(300).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, 300).mapToObj(i -> "r-" + i).toList());
        assertThat(java.nio.file.Files.list(spool).filter(f -> f.toString().endsWith(Spool.SUFFIX))).as("the spool is empty").isEmpty();
    }

    @Test
    void nothingIsLostWhileTheBrokerIsDown(@TempDir Path dir) throws Exception {
        // A broker of its own: this test stops it.
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), true, 0, Map.of());
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers())) {
            String topic = "llm.events";
            broker.createTopic(topic, 3, Map.of());
            ClientConfig config = ClientConfig.builder().bootstrapServers(broker.bootstrapServers()).schemaRegistryUrl(registry.url())
                    .spoolDir(dir.resolve("spool")).deliveryTimeout(Duration.ofSeconds(3)).build();
            int before = 100;
            int during = 50_000;
            LlmAuditClient client = LlmAuditClient.create(config, new SimpleMeterRegistry());
            try {
                for (int i = 0; i < before; i++) {
                    client.record(TestEvents.event("before-" + i));
                }
                await(() -> client.stats().sent() == before, Duration.ofSeconds(30), "the first events");

                broker.stop();
                for (int i = 0; i < during; i++) {
                    assertThat(client.record(TestEvents.event("during-" + i))).isTrue();
                }
                await(() -> client.stats().queued() == 0 && client.stats().sent() + client.stats().spooled() >= before + during,
                        Duration.ofSeconds(60), "every event to be sent or spooled");
                assertThat(client.stats().spooled()).as("the outage must have used the spool").isPositive();

                broker.start();
                await(() -> client.stats().sent() >= before + during, Duration.ofSeconds(120), "the spool to be replayed");
                assertThat(client.stats().dropped()).isZero();
                assertThat(client.stats().replayed()).isPositive();
            } finally {
                client.close();
            }

            List<ConsumerRecord<String, LlmCallEvent>> got = TestEvents.readAll(broker, registry.url(), topic, before + during, Duration.ofSeconds(60));
            Set<String> ids = new HashSet<>();
            Map<String, Integer> partitionOfKey = new HashMap<>();
            for (ConsumerRecord<String, LlmCallEvent> r : got) {
                ids.add(r.value().getEventId());
                assertThat(r.key()).isEqualTo(r.value().getEventId());
                Integer p = partitionOfKey.putIfAbsent(r.key(), r.partition());
                assertThat(p == null || p == r.partition()).as("a key stays on one partition (order per key)").isTrue();
            }
            assertThat(ids).as("every event arrives; duplicates only from retried sends, removed by event_id").hasSize(before + during);
        }
    }

    /** One spool frame as the client writes it: length, CRC32C, payload. */
    static byte[] frame(byte[] payload) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(payload);
        return java.nio.ByteBuffer.allocate(8 + payload.length).putInt(payload.length).putInt((int) crc.getValue()).put(payload).array();
    }

    static LlmCallEvent poison(String id) {
        // Within the contract's 64 KiB, over this test's producer limit of 8 KiB: Kafka can never take it.
        Map<String, String> tags = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            tags.put("t" + i, "v".repeat(500));
        }
        LlmCallEvent e = TestEvents.event(id);
        e.setTags(tags);
        return e;
    }

    @Test
    void aPoisonRecordADamagedFrameAndATornTailCostOnlyThemselves(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                  @TempDir Path dir) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 3, Map.of());
        Path spoolDir = dir.resolve("spool");
        java.nio.file.Files.createDirectories(spoolDir);
        java.nio.file.Files.setPosixFilePermissions(spoolDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        // A segment left by an earlier run: good, garbage, good, poison, good, and a torn last frame.
        java.io.ByteArrayOutputStream segment = new java.io.ByteArrayOutputStream();
        segment.write(frame(LlmAuditClient.encode(TestEvents.event("old-1"))));
        byte[] garbage = "#### not a frame ####".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        segment.write(garbage);
        segment.write(frame(LlmAuditClient.encode(TestEvents.event("old-2"))));
        segment.write(frame(LlmAuditClient.encode(poison("old-poison"))));
        segment.write(frame(LlmAuditClient.encode(TestEvents.event("old-3"))));
        byte[] torn = frame(LlmAuditClient.encode(TestEvents.event("old-torn")));
        segment.write(torn, 0, torn.length - 5);
        java.nio.file.Files.write(spoolDir.resolve(String.format("%020d%s", 0, Spool.SUFFIX)), segment.toByteArray());

        ClientConfig config = ClientConfig.builder().bootstrapServers(cluster.bootstrapServers()).schemaRegistryUrl(registry.url())
                .topic(topic).spoolDir(spoolDir).producer("max.request.size", "8192").build();
        try (LlmAuditClient client = LlmAuditClient.create(config, new SimpleMeterRegistry())) {
            await(() -> client.stats().replayed() == 3, Duration.ofSeconds(30), "the spooled events");
            LlmCallEvent outOfBounds = TestEvents.event("live-absurd");
            outOfBounds.setInputTokens(4_503_599_627_370_496L);   // 2^52
            assertThat(client.record(outOfBounds)).isTrue();
            assertThat(client.record(poison("live-poison"))).isTrue();
            assertThat(client.record(TestEvents.event("live-good"))).isTrue();
            await(() -> client.stats().sent() == 4 && client.stats().deadLettered() == 3, Duration.ofSeconds(30), "the live events");

            LlmAuditClient.Stats stats = client.stats();
            assertThat(stats.invalid()).isEqualTo(1);
            assertThat(stats.spoolCorruptBytes()).as("the garbage and the torn frame, nothing else").isEqualTo(garbage.length + torn.length - 5);
            assertThat(stats.dropped()).isZero();
            List<String> lines = java.nio.file.Files.readAllLines(client.deadLetterFile());
            assertThat(lines).hasSize(3);
            assertThat(lines.get(0)).contains("\"event_id\":\"old-poison\"").contains("RecordTooLargeException");
            assertThat(lines.get(1)).contains("\"event_id\":\"live-absurd\"")
                    .contains("outside the event contract's bounds: input_tokens: must be between 0 and 1000000000, got 4503599627370496");
            assertThat(lines.get(2)).contains("\"event_id\":\"live-poison\"").contains("RecordTooLargeException");
        }
        assertThat(java.nio.file.Files.list(spoolDir).filter(f -> f.toString().endsWith(Spool.SUFFIX))).as("the replayed segment is gone").isEmpty();
        List<String> ids = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(r -> r.value().getEventId()).toList();
        assertThat(ids).containsExactlyInAnyOrder("old-1", "old-2", "old-3", "live-good");
    }
}
