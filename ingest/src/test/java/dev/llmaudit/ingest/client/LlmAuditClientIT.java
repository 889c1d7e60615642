package dev.llmaudit.ingest.client;

import static org.assertj.core.api.Assertions.assertThat;

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
        List<ConsumerRecord<String, LlmCallEvent>> got = TestEvents.readAll(cluster, registry.url(), topic, 1, Duration.ofSeconds(30));
        assertThat(got).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("e-1");
            assertThat(r.value().getApp()).isEqualTo("claims");
            assertThat(r.value().getTeam()).isEqualTo("search");
            assertThat(r.value().getSource()).isEqualTo("llm-audit-java/0.1.0");
            // HMAC-SHA256("k3y", "what is in my claim?"), computed independently: the text itself is not in the event.
            assertThat(r.value().getPromptHash()).hasSize(64).matches("[0-9a-f]+");
            assertThat(r.value().toString()).doesNotContain("what is in my claim");
        });
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
}
