package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.jobs.Topics;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Validates a bundle directory and publishes it to the compacted policies topic (key "bundle"). */
public final class PolicyPublisher {
    private PolicyPublisher() {}

    /** Returns the load result; publishes only when the bundle is valid. */
    public static BundleLoader.Result publish(Path dir, String bootstrapServers, String topic) throws IOException {
        return publish(dir, bootstrapServers, java.util.Map.of(), topic);
    }

    /**
     * @param client Kafka client settings (TLS/SASL: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}) for the admin and producer
     */
    public static BundleLoader.Result publish(Path dir, String bootstrapServers, java.util.Map<String, String> client, String topic)
            throws IOException {
        BundleLoader.Result r = BundleLoader.load(dir);
        if (!r.ok()) {
            return r;
        }
        try {
            Topics.ensure(bootstrapServers, client, java.util.Map.of(PipelineTopics.defaults().policies(), topic), null);
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
        Properties p = new Properties();
        p.putAll(dev.llmaudit.schemas.kafka.KafkaSecurity.of(client));
        p.put("bootstrap.servers", bootstrapServers);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("max.request.size", Integer.toString(16 * 1024 * 1024));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "bundle", BundleArchive.pack(dir))).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while publishing", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot publish to " + topic + " at " + bootstrapServers + ": " + e.getMessage(), e);
        }
        return r;
    }
}
