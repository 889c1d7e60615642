package dev.llmaudit.cli.console;

import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the four topics the console shows from their start (read_committed, no consumer group: the
 * console keeps no offsets and writes nothing) and follows them into {@link ConsoleData}. A record
 * that does not decode is counted and skipped here: the writers' own dead-letter handling is where
 * records are kept. Topics that do not exist yet are looked for again every 10 seconds.
 */
public final class ConsoleFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleFeed.class);

    /** The topics to show. */
    public record Topics(String rollups, String budgets, String violations, String dlq) {}

    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile long undecodable;

    public ConsoleFeed(Properties client, SchemaRegistryClient registry, Topics topics, ConsoleData data) {
        Properties p = new Properties();
        p.putAll(client);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.remove("group.id");
        ConfluentAvroDeserializer<UsageRollup> rollups = new ConfluentAvroDeserializer<>(registry, UsageRollup.class);
        ConfluentAvroDeserializer<BudgetStatus> budgets = new ConfluentAvroDeserializer<>(registry, BudgetStatus.class);
        ConfluentAvroDeserializer<PolicyViolation> violations = new ConfluentAvroDeserializer<>(registry, PolicyViolation.class);
        ConfluentAvroDeserializer<DeadLetter> dead = new ConfluentAvroDeserializer<>(registry, DeadLetter.class);
        thread = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> assigned = new ArrayList<>();
                long lookedAt = 0;
                while (running.get()) {
                    if (System.nanoTime() - lookedAt > Duration.ofSeconds(10).toNanos()) {
                        lookedAt = System.nanoTime();
                        List<TopicPartition> all = new ArrayList<>();
                        for (String t : List.of(topics.rollups(), topics.budgets(), topics.violations(), topics.dlq())) {
                            var infos = c.listTopics(Duration.ofSeconds(10)).get(t);
                            if (infos != null) {
                                infos.forEach(i -> all.add(new TopicPartition(t, i.partition())));
                            }
                        }
                        if (!all.equals(assigned)) {
                            List<TopicPartition> added = all.stream().filter(tp -> !assigned.contains(tp)).toList();
                            assigned.clear();
                            assigned.addAll(all);
                            c.assign(assigned); // partitions already read keep their positions
                            c.seekToBeginning(added);
                        }
                    }
                    if (assigned.isEmpty()) {
                        Thread.sleep(500);
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                        if (r.value() == null) {
                            continue;
                        }
                        try {
                            String t = r.topic();
                            if (t.equals(topics.rollups())) {
                                data.rollup(r.key(), rollups.deserialize(t, r.value()));
                            } else if (t.equals(topics.budgets())) {
                                data.budget(r.key(), budgets.deserialize(t, r.value()));
                            } else if (t.equals(topics.violations())) {
                                data.violation(violations.deserialize(t, r.value()));
                            } else if (t.equals(topics.dlq())) {
                                data.deadLetter(dead.deserialize(t, r.value()));
                            }
                        } catch (RuntimeException e) {
                            undecodable++;
                            LOG.debug("Skipping an undecodable record at {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
                        }
                    }
                }
            } catch (InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
                // closing
            } catch (RuntimeException e) {
                LOG.error("The console stopped reading Kafka: {}", e.toString());
            }
        }, "console-feed");
        thread.setDaemon(true);
        thread.start();
    }

    public long undecodable() {
        return undecodable;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
    }
}
