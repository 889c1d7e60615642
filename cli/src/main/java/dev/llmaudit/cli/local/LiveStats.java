package dev.llmaudit.cli.local;

import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroCodec;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows the pipeline's outputs as a read_committed consumer (what security and finance would see)
 * and keeps the counts the live progress line shows.
 */
final class LiveStats implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final Map<String, Long> violationsByPolicy = new TreeMap<>();
    private final Map<String, BigDecimal> spendByCloud = new TreeMap<>();
    private long priced;
    private long unpriced;
    private long deadLetters;
    private volatile String failure;

    LiveStats(Properties client, SchemaRegistryClient registry, String pricedTopic, String violationsTopic, String dlqTopic) {
        ConfluentAvroCodec<PricedLlmCall> pricedCodec = new ConfluentAvroCodec<>(registry, PricedLlmCall.class, false);
        ConfluentAvroCodec<PolicyViolation> violationCodec = new ConfluentAvroCodec<>(registry, PolicyViolation.class, false);
        Properties p = TopicReader.committedReader(client, "local-progress");
        thread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(pricedTopic, violationsTopic, dlqTopic));
                while (running.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                        synchronized (this) {
                            if (r.topic().equals(pricedTopic)) {
                                PricedLlmCall call = pricedCodec.decode(r.value());
                                priced++;
                                String cloud = call.getEvent().getCloud() == null ? "unknown" : call.getEvent().getCloud().name();
                                if (call.getCost() != null) {
                                    spendByCloud.merge(cloud, call.getCost().getAmount(), BigDecimal::add);
                                } else if (call.getPricingStatus() == dev.llmaudit.avro.PricingStatus.unpriced) {
                                    unpriced++;
                                }
                            } else if (r.topic().equals(violationsTopic)) {
                                violationsByPolicy.merge(violationCodec.decode(r.value()).getPolicyId(), 1L, Long::sum);
                            } else {
                                deadLetters++;
                            }
                        }
                    }
                }
            } catch (RuntimeException e) {
                failure = e.toString();
            }
        }, "llm-audit-local-progress");
        thread.setDaemon(true);
        thread.start();
    }

    synchronized long priced() {
        return priced;
    }

    synchronized long deadLetters() {
        return deadLetters;
    }

    synchronized long violations() {
        return violationsByPolicy.values().stream().mapToLong(Long::longValue).sum();
    }

    /** One line: priced, violations by policy, spend by cloud, unpriced, dead letters. */
    synchronized String summary() {
        String byPolicy = violationsByPolicy.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
        String spend = spendByCloud.entrySet().stream()
                .map(e -> e.getKey() + " $" + e.getValue().setScale(2, RoundingMode.HALF_EVEN).toPlainString())
                .collect(Collectors.joining(", "));
        return String.format("priced %,d | violations %,d%s | spend %s | unpriced %,d | DLQ %,d%s", priced, violations(),
                byPolicy.isEmpty() ? "" : " (" + byPolicy + ")", spend.isEmpty() ? "-" : spend, unpriced, deadLetters,
                failure == null ? "" : " | progress reader failed: " + failure);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
    }
}
