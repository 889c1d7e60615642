package dev.llmaudit.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {

    @Test
    void keepsDataAcrossStopStartAndAcrossANewBrokerOnTheSameDirectory(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("kafka"));
        String bootstrap;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, false, 0, Map.of())) {
            bootstrap = broker.bootstrapServers();
            broker.createTopic("durable", 1, Map.of());
            produce(broker, "durable", "before-stop");
            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            broker.start();
            produce(broker, "durable", "after-restart");
            assertThat(consumeAll(broker, "durable", 2)).containsExactly("before-stop", "after-restart");
        }
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(data, true, port, Map.of())) {
            assertThat(consumeAll(again, "durable", 2)).containsExactly("before-stop", "after-restart");
        }
    }

    static void produce(KafkaCluster cluster, String topic, String value) throws Exception {
        Properties p = cluster.clientProperties();
        p.put("acks", "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    static List<String> consumeAll(KafkaCluster cluster, String topic, int expected) {
        Properties p = cluster.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }
}
