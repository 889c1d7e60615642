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

    /** How reading goes: shown by the page, so a stale or partial view never looks live. */
    public record Health(boolean ok, String error, long undecodable, java.time.Instant lastRead) {}

    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile long undecodable;
    private volatile String error;
    private volatile java.time.Instant lastRead;

    public ConsoleFeed(Properties client, SchemaRegistryClient registry, Topics topics, ConsoleData data) {
        Properties p = new Properties();
        p.putAll(client);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.remove("group.id");
        // A viewer can wait: back off reconnecting to an absent broker rather than log a warning every few milliseconds.
        p.putIfAbsent("reconnect.backoff.ms", "1000");
        p.putIfAbsent("reconnect.backoff.max.ms", "30000");
        ConfluentAvroDeserializer<UsageRollup> rollups = new ConfluentAvroDeserializer<>(registry, UsageRollup.class);
        ConfluentAvroDeserializer<BudgetStatus> budgets = new ConfluentAvroDeserializer<>(registry, BudgetStatus.class);
        ConfluentAvroDeserializer<PolicyViolation> violations = new ConfluentAvroDeserializer<>(registry, PolicyViolation.class);
        ConfluentAvroDeserializer<DeadLetter> dead = new ConfluentAvroDeserializer<>(registry, DeadLetter.class);
        thread = new Thread(() -> {
            long backoff = 1_000;
            while (running.get()) {
                try {
                    read(p, topics, data, rollups, budgets, violations, dead);
                    return;
                } catch (InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
                    return;
                } catch (RuntimeException e) {
                    // Kafka away or a topic listing timed out: say so on the page, wait, read again from the start.
                    error = e.getClass().getSimpleName() + ": " + e.getMessage();
                    LOG.warn("The console cannot read Kafka ({}); trying again in {} s", error, backoff / 1000);
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException ie) {
                        return;
                    }
                    backoff = Math.min(backoff * 2, 30_000);
                }
            }
        }, "console-feed");
        thread.setDaemon(true);
        thread.start();
    }

    public long undecodable() {
        return undecodable;
    }

    public Health health() {
        return new Health(error == null, error, undecodable, lastRead);
    }

    private void read(Properties p, Topics topics, ConsoleData data, ConfluentAvroDeserializer<UsageRollup> rollups,
                      ConfluentAvroDeserializer<BudgetStatus> budgets, ConfluentAvroDeserializer<PolicyViolation> violations,
                      ConfluentAvroDeserializer<DeadLetter> dead) throws InterruptedException {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = new ArrayList<>();
            long lookedAt = 0;
            data.clear(); // read again from the start: what was shown is rebuilt, not doubled
            while (running.get()) {
                if (System.nanoTime() - lookedAt > Duration.ofSeconds(10).toNanos()) {
                    lookedAt = System.nanoTime();
                    List<TopicPartition> all = new ArrayList<>();
                    var listed = c.listTopics(Duration.ofSeconds(10));
                    for (String t : List.of(topics.rollups(), topics.budgets(), topics.violations(), topics.dlq())) {
                        var infos = listed.get(t);
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
                    error = null;
                    Thread.sleep(500);
                    continue;
                }
                var records = c.poll(Duration.ofMillis(500));
                error = null;
                lastRead = java.time.Instant.now();
                for (ConsumerRecord<String, byte[]> r : records) {
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
                        undecodable++; // shown on the page: totals without these records are partial
                        LOG.warn("The console skips an undecodable record at {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
                    }
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
    }
}
