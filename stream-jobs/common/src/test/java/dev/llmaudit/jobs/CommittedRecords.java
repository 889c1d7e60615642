package dev.llmaudit.jobs;

import dev.llmaudit.embedded.kafka.KafkaCluster;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads what a consumer of an exactly-once job's output sees: committed records only. */
public final class CommittedRecords {
    private CommittedRecords() {}

    /** Reads the whole topic from the start, read_committed, until it stays quiet. */
    public static <V> void read(KafkaCluster cluster, String topic, Deserializer<V> values, Consumer<ConsumerRecord<String, V>> each) {
        Properties p = cluster.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        try (KafkaConsumer<String, V> c = new KafkaConsumer<>(p, new StringDeserializer(), values)) {
            c.subscribe(List.of(topic));
            int empty = 0;
            while (empty < 3) {
                var batch = c.poll(Duration.ofMillis(300));
                if (batch.isEmpty()) {
                    empty++;
                }
                batch.forEach(each);
            }
        }
    }
}
