package dev.llmaudit.ingest;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Events and a topic reader for ingest tests. */
public final class TestEvents {
    private TestEvents() {}

    public static LlmCallEvent event(String id) {
        return LlmCallEvent.newBuilder().setEventId(id).setEventTime(Instant.parse("2026-11-26T10:00:00Z"))
                .setCloud(Cloud.openai).setRequestModel("gpt-5.5").setInputTokens(10L).setOutputTokens(5L).build();
    }

    /** Reads the topic from the beginning (read_committed) until {@code expected} records or the timeout. */
    public static List<ConsumerRecord<String, LlmCallEvent>> readAll(KafkaCluster cluster, String registryUrl, String topic,
                                                                    int expected, Duration timeout) {
        Properties p = cluster.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "read-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        ConfluentAvroDeserializer<LlmCallEvent> values = new ConfluentAvroDeserializer<>(LlmCallEvent.class);
        values.configure(Map.of(RegistryConfig.URL, registryUrl), false);
        List<ConsumerRecord<String, LlmCallEvent>> out = new ArrayList<>();
        try (KafkaConsumer<String, LlmCallEvent> c = new KafkaConsumer<>(p, new StringDeserializer(), values)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // A little longer to catch anything beyond the expected count (duplicates, strays).
            c.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out;
    }

    /**
     * Every committed record of the topic: the end offsets (the last stable offsets, read_committed) are
     * taken first, then everything up to them is read. Exact for "nothing else was written" checks once
     * the writers are done or have answered; never a count-or-timeout guess.
     */
    public static List<ConsumerRecord<String, LlmCallEvent>> readToEnd(KafkaCluster cluster, String registryUrl, String topic) {
        Properties p = cluster.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        ConfluentAvroDeserializer<LlmCallEvent> values = new ConfluentAvroDeserializer<>(LlmCallEvent.class);
        values.configure(Map.of(RegistryConfig.URL, registryUrl), false);
        List<ConsumerRecord<String, LlmCallEvent>> out = new ArrayList<>();
        try (KafkaConsumer<String, LlmCallEvent> c = new KafkaConsumer<>(p, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> c.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end offsets " + end + " within 60 s");
                }
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    public static String registryUrl(EmbeddedSchemaRegistry r) {
        return r.url();
    }
}
