package dev.llmaudit.cli.notify;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.cli.notify.NotifyConfig.Webhook;
import dev.llmaudit.jobs.DeadLetters;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code llm.violations} (policy violations and budget threshold crossings) and posts each
 * to the webhooks that want it.
 *
 * <p>One post per violation id and webhook: each record's offset is committed (synchronously) as
 * soon as its posts are done, so a restarted notifier resumes after the last record it finished;
 * copies of an id already seen in this run are skipped. What is left: a crash or stop while a
 * record's posts are in progress repeats that record's posts on the next start (to the webhooks
 * that already got it too), with the same {@code X-LlmAudit-Delivery} id for receivers to drop. A post that fails for good (refused, or
 * out of attempts) is logged and kept as a dead letter (stage {@code notify}, the webhook's name and
 * the failure in the reason) on the dead-letter topic; the notifier goes on with the next record.
 * A record that is not a violation is a dead letter too, never a crash.
 */
public final class Notifier {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    /** Ids remembered to skip duplicates in the topic; a replayed copy is normally close to its original. */
    private static final int REMEMBERED_IDS = 100_000;

    /** The consumer operations the notifier needs (a KafkaConsumer in production). */
    public interface Source extends AutoCloseable {
        List<ConsumerRecord<String, byte[]>> poll(Duration timeout);

        void commit(Map<TopicPartition, OffsetAndMetadata> offsets);

        @Override
        void close();
    }

    /** Counts so far. */
    public record Stats(long violations, long posted, long deadLetters, long skippedDuplicates, long filteredOut) {}

    private final Source source;
    private final Function<byte[], PolicyViolation> decode;
    private final List<Webhook> webhooks;
    private final Webhooks delivery;
    private final Consumer<DeadLetter> deadLetters;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<String, Boolean> seen = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IDS;
        }
    };
    private long violations;
    private long posted;
    private long dead;
    private long duplicates;
    private long filtered;

    public Notifier(Source source, Function<byte[], PolicyViolation> decode, List<Webhook> webhooks, Webhooks delivery,
                    Consumer<DeadLetter> deadLetters, Clock clock) {
        this.source = source;
        this.decode = decode;
        this.webhooks = webhooks;
        this.delivery = delivery;
        this.deadLetters = deadLetters;
        this.clock = clock;
    }

    /** Runs until {@link #stop()} (or interruption). */
    public void run() throws InterruptedException {
        while (running.get()) {
            for (ConsumerRecord<String, byte[]> r : source.poll(Duration.ofMillis(500))) {
                if (!running.get()) {
                    return; // not committed: handled by whoever resumes
                }
                handle(r);
                try {
                    source.commit(Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
                } catch (org.apache.kafka.clients.consumer.CommitFailedException | org.apache.kafka.common.errors.RebalanceInProgressException e) {
                    // The partition moved to another member: it resumes from the last commit (this record may be posted again).
                    LOG.warn("Could not commit after {} ({}); the partition's new owner resumes from the last commit", r.offset(), e.toString());
                }
            }
        }
    }

    public void stop() {
        running.set(false);
    }

    public synchronized Stats stats() {
        return new Stats(violations, posted, dead, duplicates, filtered);
    }

    private void handle(ConsumerRecord<String, byte[]> r) throws InterruptedException {
        if (r.value() == null) {
            deadLetter(r, "deserialize", "EmptyRecord", "a record without a value (a tombstone?) on the violations topic");
            return;
        }
        PolicyViolation v = null;
        for (int attempt = 1; v == null; attempt++) {
            try {
                v = decode.apply(r.value());
            } catch (RuntimeException e) {
                if (!unreachable(e) || attempt == 24 || !running.get()) {
                    if (unreachable(e)) {
                        throw e; // the registry is still away: stop without committing; the record waits for the next start
                    }
                    deadLetter(r, "deserialize", e.getClass().getSimpleName(), DeadLetters.reason(e));
                    return;
                }
                LOG.warn("Cannot reach the schema registry to read a violation ({}); trying again in 5 s", e.toString());
                Thread.sleep(5_000);
            }
        }
        synchronized (this) {
            violations++;
            if (seen.put(v.getViolationId(), Boolean.TRUE) != null) {
                duplicates++;
                return;
            }
        }
        for (Webhook w : webhooks) {
            if (!Webhooks.wants(w, v)) {
                synchronized (this) {
                    filtered++;
                }
                continue;
            }
            Webhooks.Outcome o = delivery.deliver(w, v);
            if (o.delivered()) {
                synchronized (this) {
                    posted++;
                }
                LOG.debug("Posted {} to {} ({} attempts)", v.getViolationId(), w.name(), o.attempts());
            } else {
                LOG.warn("Could not post violation {} to webhook {}: {}; kept as a dead letter", v.getViolationId(), w.name(), o.failure());
                deadLetter(r, "notify", "WebhookFailed", "webhook " + w.name() + " (" + w.url().getHost() + "): " + o.failure());
            }
        }
    }

    /**
     * The schema registry could not answer (down, unreachable, 5xx, 429): the record may be fine, so the caller waits
     * and tries again. Anything else (bytes that are not Confluent Avro, a truncated body, an unknown schema id) is
     * about the record, and retrying it would wait forever.
     */
    public static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof dev.llmaudit.schemas.registry.RegistryException r) {
                return r.errorCode() == dev.llmaudit.schemas.registry.RegistryException.UNREACHABLE || r.httpStatus() >= 500
                        || r.httpStatus() == 429;
            }
        }
        return false;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String stage, String error, String reason) {
        synchronized (this) {
            dead++;
        }
        byte[] key = r.key() == null ? null : r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        deadLetters.accept(DeadLetters.of(stage, error, reason, r.topic(), r.partition(), r.offset(), key, r.value(), clock.instant()));
    }
}
