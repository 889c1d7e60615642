package dev.llmaudit.cli.local;

import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a whole topic as a read_committed consumer sees it now: from the beginning to the current end. */
public final class TopicReader {
    private TopicReader() {}

    /**
     * Consumer settings for a throwaway reader of committed data: the client's settings (security,
     * bootstrap) plus a fresh group named after {@code purpose}, no offset commits, from the beginning,
     * read_committed (what a downstream consumer sees; aborted transactions never show).
     */
    public static Properties committedReader(Properties client, String purpose) {
        Properties p = new Properties();
        p.putAll(client);
        p.put("group.id", "llm-audit-" + purpose + "-" + System.nanoTime());
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        return p;
    }

    /** Every committed record, in partition order. */
    public static <T> List<ConsumerRecord<String, T>> readAll(Properties client, SchemaRegistryClient registry, String topic, Class<T> type) {
        Properties p = committedReader(client, "reader");
        List<ConsumerRecord<String, T>> out = new ArrayList<>();
        try (KafkaConsumer<String, T> c = new KafkaConsumer<>(p, new StringDeserializer(), new ConfluentAvroDeserializer<>(registry, type))) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            if (parts.isEmpty()) {
                return out;
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!reached(c, end) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** The last record per key: what a compacted topic keeps. */
    public static <T> List<T> latestPerKey(List<ConsumerRecord<String, T>> records) {
        Map<String, T> last = new LinkedHashMap<>();
        for (ConsumerRecord<String, T> r : records) {
            last.remove(r.key());
            last.put(r.key(), r.value());
        }
        return new ArrayList<>(last.values());
    }

    private static boolean reached(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
        Set<TopicPartition> behind = end.entrySet().stream().filter(e -> c.position(e.getKey()) < e.getValue())
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        return behind.isEmpty();
    }
}
