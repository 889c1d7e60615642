package dev.llmaudit.ingest.client;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.schemas.AvroTrust;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records LLM call events from an application to Kafka ({@code llm.events}) without slowing it and
 * without losing events while Kafka is away.
 *
 * <p>{@link #record} never throws and never blocks on Kafka: it hands the event to a bounded queue
 * drained by one background sender. The sender writes with an idempotent producer (acks=all, key =
 * {@code event_id}, so the pipeline can deduplicate). Events Kafka cannot take in time, and events
 * arriving while the queue is full, go to an on-disk {@link Spool}; once anything is spooled, newer
 * events queue behind it, and the spool is replayed oldest first when Kafka answers again. When the
 * spool itself is full, {@link ClientConfig.SpoolFullPolicy} applies and every drop is counted and
 * logged. {@link #close} sends or spools everything still held.
 *
 * <p>Prompt and response text never leave the process: apps (and the capture adapters) put only
 * {@link #hash} values, an HMAC-SHA256 with the configured key, into events.
 *
 * <p>Events outside the contract's bounds ({@link EventBounds}), and events Kafka can never take
 * (too large, not encodable), are refused by the sender: counted, logged, and kept in
 * {@code dead-letters.jsonl} next to the spool, so they neither reach the pipeline nor block the
 * events behind them. Nothing is ever thrown into the app.
 */
public final class LlmAuditClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LlmAuditClient.class);

    private final ClientConfig config;
    private final BlockingQueue<LlmCallEvent> queue;
    private final Spool spool;
    private final KafkaProducer<String, LlmCallEvent> producer;
    private final Thread sender;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean kafkaHealthy = true;
    private volatile long lastProbeNanos;
    private final AtomicLong lastDropLogNanos = new AtomicLong();
    private final SecretKeySpec hmacKey;

    private final Counter recorded;
    private final Counter sent;
    private final Counter spooled;
    private final Counter replayed;
    private final Counter dropped;
    private final Counter sendErrors;
    private final Counter spoolCorruptBytes;
    private final Counter invalid;
    private final Counter deadLettered;
    private final DeadLetterFile deadLetters;
    /** Replay attempts back off while Kafka is away: 1 s, doubling, at most 60 s. */
    private volatile long replayBackoffNanos = MIN_BACKOFF_NANOS;
    static final long MIN_BACKOFF_NANOS = 1_000_000_000L;
    static final long MAX_BACKOFF_NANOS = 60_000_000_000L;

    private LlmAuditClient(ClientConfig config, MeterRegistry meters) {
        this.config = config;
        AvroTrust.trustGeneratedClasses();
        this.queue = new ArrayBlockingQueue<>(config.bufferCapacity());
        this.spool = new Spool(config.spoolDir(), config.spoolMaxBytes(), config.segmentBytes(), config.fsync(), config.fsyncInterval());
        this.hmacKey = config.hmacKey() == null ? null : new SecretKeySpec(config.hmacKey(), "HmacSHA256");
        this.recorded = Counter.builder("llm_audit_client_events_recorded").description("Events handed to record()").register(meters);
        this.sent = Counter.builder("llm_audit_client_events_sent").description("Events acknowledged by Kafka").register(meters);
        this.spooled = Counter.builder("llm_audit_client_events_spooled").description("Events written to the on-disk spool").register(meters);
        this.replayed = Counter.builder("llm_audit_client_events_replayed").description("Spooled events acknowledged by Kafka").register(meters);
        this.dropped = Counter.builder("llm_audit_client_events_dropped").description("Events lost because buffer and spool were full").register(meters);
        this.sendErrors = Counter.builder("llm_audit_client_send_errors").description("Failed sends (the events were spooled)").register(meters);
        this.spoolCorruptBytes = Counter.builder("llm_audit_client_spool_corrupt_bytes").description("Unreadable spool bytes (torn writes, damaged frames)").register(meters);
        this.invalid = Counter.builder("llm_audit_client_events_invalid").description("Events refused for being outside the contract's bounds").register(meters);
        this.deadLettered = Counter.builder("llm_audit_client_events_dead_lettered").description("Events that can never be sent, kept in dead-letters.jsonl").register(meters);
        this.deadLetters = new DeadLetterFile(config.spoolDir(), config.deadLetterMaxBytes());
        Gauge.builder("llm_audit_client_queue_size", queue, BlockingQueue::size).register(meters);
        Gauge.builder("llm_audit_client_spool_bytes", spool, Spool::bytes).register(meters);

        Map<String, Object> props = new HashMap<>(config.producer());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "llm-audit-client");
        long delivery = config.deliveryTimeout().toMillis();
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(delivery));
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, Math.min(delivery - 5, 5000))));
        // send() must not sit for a minute on missing metadata: fail fast and spool instead.
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
        SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(config.registry()));
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ConfluentAvroSerializer<>(registry, true));

        this.sender = new Thread(this::runSender, "llm-audit-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /** A client with metrics in JMX (the zero-config default). */
    public static LlmAuditClient create(ClientConfig config) {
        io.micrometer.jmx.JmxMeterRegistry jmx = new io.micrometer.jmx.JmxMeterRegistry(io.micrometer.jmx.JmxConfig.DEFAULT,
                io.micrometer.core.instrument.Clock.SYSTEM);
        Metrics.addRegistry(jmx);
        return new LlmAuditClient(config, jmx);
    }

    /** A client reporting to the given meter registry (Prometheus, OTLP, a test's SimpleMeterRegistry...). */
    public static LlmAuditClient create(ClientConfig config, MeterRegistry meters) {
        return new LlmAuditClient(config, meters);
    }

    public ClientConfig config() {
        return config;
    }

    /**
     * Hands one event to the background sender. Never throws and never waits for Kafka. Returns
     * false only when the event was dropped (closed client, or memory buffer and spool both full
     * under the configured policy); drops are counted and logged. Do not modify the event afterwards.
     */
    public boolean record(LlmCallEvent event) {
        try {
            if (event == null) {
                return false;
            }
            if (closed.get()) {
                drop("the client is closed");
                return false;
            }
            if (queue.offer(event)) {
                recorded.increment();
                return true;
            }
            // Memory buffer full: spool on the caller's thread rather than lose the event.
            byte[] bytes = encode(stamped(event));
            boolean stored = config.spoolFullPolicy() == ClientConfig.SpoolFullPolicy.BLOCK
                    ? spool.append(bytes, config.blockTimeout()) : spool.append(bytes);
            if (stored) {
                recorded.increment();
                spooled.increment();
                return true;
            }
            drop("memory buffer (" + config.bufferCapacity() + " events) and spool (" + config.spoolMaxBytes() + " bytes) are full");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drop("interrupted while waiting for spool space");
            return false;
        } catch (RuntimeException | IOException e) {
            drop("cannot spool: " + e);
            return false;
        }
    }

    /** True when an HMAC key is configured, so captures keep text long enough to hash it. */
    public boolean hashes() {
        return hmacKey != null;
    }

    /** HMAC-SHA256 (lower-case hex) of the text with the configured key, or null when no key is configured. */
    public String hash(String text) {
        if (hmacKey == null || text == null) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(hmacKey);
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /**
     * An HMAC of text that arrives in pieces (a streamed answer), equal to {@link #hash} of the pieces
     * joined, in constant memory; null when no key is configured.
     */
    public TextHasher textHasher() {
        if (hmacKey == null) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(hmacKey);
            return new TextHasher(mac);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** See {@link #textHasher()}. Not thread-safe: one stream's pieces, in order. */
    public static final class TextHasher {
        private final Mac mac;
        private boolean empty = true;
        private char pendingHigh;

        private TextHasher(Mac mac) {
            this.mac = mac;
        }

        /** Adds the next piece (a character split across two pieces is joined before it is encoded). */
        public void update(String piece) {
            if (piece == null || piece.isEmpty()) {
                return;
            }
            empty = false;
            String text = pendingHigh != 0 ? pendingHigh + piece : piece;
            pendingHigh = 0;
            char last = text.charAt(text.length() - 1);
            if (Character.isHighSurrogate(last)) {
                pendingHigh = last;
                text = text.substring(0, text.length() - 1);
            }
            mac.update(text.getBytes(StandardCharsets.UTF_8));
        }

        /** The hex HMAC of everything added, or null when nothing was. */
        public String finish() {
            if (empty) {
                return null;
            }
            if (pendingHigh != 0) {
                mac.update(String.valueOf(pendingHigh).getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(mac.doFinal());
        }
    }

    /** Counts so far, for status output and tests. */
    public Stats stats() {
        return new Stats((long) recorded.count(), (long) sent.count(), (long) spooled.count(), (long) replayed.count(),
                (long) dropped.count(), (long) sendErrors.count(), queue.size(), spool.bytes(), (long) invalid.count(),
                (long) deadLettered.count(), (long) spoolCorruptBytes.count());
    }

    /**
     * A snapshot of the client's counters.
     *
     * @param invalid refused for being outside the contract's bounds (also in {@code deadLettered} when the file had room)
     * @param deadLettered written to {@code dead-letters.jsonl}
     */
    public record Stats(long recorded, long sent, long spooled, long replayed, long dropped, long sendErrors, int queued, long spoolBytes,
                        long invalid, long deadLettered, long spoolCorruptBytes) {}

    /** The file that keeps events that can never be sent. */
    public java.nio.file.Path deadLetterFile() {
        return deadLetters.file();
    }

    private void drop(String why) {
        dropped.increment();
        long now = System.nanoTime();
        long last = lastDropLogNanos.get();
        // One WARN per second at most: an outage must not flood the app's logs.
        if (now - last > 1_000_000_000L && lastDropLogNanos.compareAndSet(last, now)) {
            LOG.warn("llm-audit dropped an event ({} dropped so far): {}", (long) dropped.count(), why);
        }
    }

    private LlmCallEvent stamped(LlmCallEvent e) {
        Map<String, String> d = config.defaults();
        if (e.getTenant() == null && d.containsKey("tenant")) {
            e.setTenant(d.get("tenant"));
        }
        if (e.getApp() == null && d.containsKey("app")) {
            e.setApp(d.get("app"));
        }
        if (e.getTeam() == null && d.containsKey("team")) {
            e.setTeam(d.get("team"));
        }
        if (e.getEnvironment() == null && d.containsKey("environment")) {
            e.setEnvironment(d.get("environment"));
        }
        if (e.getSource() == null) {
            e.setSource(config.source());
        }
        return e;
    }

    static byte[] encode(LlmCallEvent e) throws IOException {
        ByteBuffer b = LlmCallEvent.getEncoder().encode(e);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static LlmCallEvent decode(byte[] bytes) throws IOException {
        return LlmCallEvent.getDecoder().decode(bytes);
    }

    // ------------------------------------------------------------------ sender thread

    private void runSender() {
        while (true) {
            try {
                // Replay (or probe Kafka with a replay) unless closing: close() leaves the spool for the next run.
                if (!closed.get() && !spool.isEmpty() && (kafkaHealthy || System.nanoTime() - lastProbeNanos > replayBackoffNanos)) {
                    replayOldestSegment();
                    continue;
                }
                LlmCallEvent e = queue.poll(50, TimeUnit.MILLISECONDS);
                if (e == null) {
                    spool.maybeSync();
                    if (closed.get() && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                stamped(e);
                java.util.List<dev.llmaudit.schemas.json.FieldError> problems = EventBounds.check(e,
                        EventBounds.TimeWindow.replay(java.time.Instant.now()));
                if (!problems.isEmpty()) {
                    invalid.increment();
                    deadLetter(e, "outside the event contract's bounds: "
                            + problems.stream().map(Object::toString).collect(java.util.stream.Collectors.joining("; ")));
                    continue;
                }
                if (!kafkaHealthy || !spool.isEmpty()) {
                    // Keep order: while anything is spooled, newer events line up behind it.
                    toSpool(e);
                    continue;
                }
                send(e);
            } catch (InterruptedException ie) {
                if (closed.get()) {
                    return;
                }
            } catch (Throwable t) {
                LOG.warn("llm-audit sender error (continuing): {}", t.toString());
                LOG.debug("Stack trace", t);
            }
        }
    }

    private void send(LlmCallEvent e) {
        try {
            producer.send(new ProducerRecord<>(config.topic(), e.getEventId(), e), (metadata, error) -> {
                if (error == null) {
                    sent.increment();
                } else {
                    onSendFailure(e, error);
                }
            });
        } catch (RuntimeException error) { // metadata timeout, serialization (registry down), buffer exhausted
            onSendFailure(e, error);
        }
    }

    /**
     * Errors that sending the same record again can never fix: it is too large for the broker or
     * cannot be encoded. (Authorization and network errors are not: they are fixed by an operator or
     * by time, so those records wait in the spool.)
     */
    static boolean neverSendable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.RecordTooLargeException
                    || t instanceof org.apache.kafka.common.InvalidRecordException
                    || t instanceof org.apache.avro.AvroRuntimeException
                    || t instanceof java.nio.BufferOverflowException) {
                return true;
            }
        }
        return false;
    }

    /** Keeps an event that can never be sent in dead-letters.jsonl (bounded), counted and logged; never throws. */
    private void deadLetter(LlmCallEvent e, String reason) {
        try {
            if (deadLetters.write(e, reason)) {
                deadLettered.increment();
                warnOncePerSecond("llm-audit refused event " + EventBounds.quote(e == null ? null : e.getEventId()) + ": "
                        + EventBounds.excerpt(reason, 300) + " (kept in " + deadLetters.file() + "; " + (long) deadLettered.count()
                        + " dead letters so far)");
            } else {
                drop("event " + EventBounds.quote(e == null ? null : e.getEventId()) + " can never be sent (" + EventBounds.excerpt(reason, 200)
                        + ") and " + deadLetters.file() + " is full (" + config.deadLetterMaxBytes() + " bytes)");
            }
        } catch (IOException | RuntimeException io) {
            drop("event can never be sent (" + EventBounds.excerpt(reason, 200) + ") and " + deadLetters.file() + " cannot be written: " + io);
        }
    }

    private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - 2_000_000_000L);

    private void warnOncePerSecond(String message) {
        long now = System.nanoTime();
        long last = lastWarnNanos.get();
        if (now - last > 1_000_000_000L && lastWarnNanos.compareAndSet(last, now)) {
            LOG.warn(message);
        }
    }

    private void onSendFailure(LlmCallEvent e, Exception error) {
        sendErrors.increment();
        if (neverSendable(error)) {
            // Kafka is fine; this record is not. Spooling it would block everything behind it.
            deadLetter(e, "Kafka cannot take it: " + error);
            return;
        }
        if (kafkaHealthy) {
            LOG.warn("llm-audit cannot reach Kafka at {} ({}); spooling events to {} until it answers",
                    config.bootstrapServers(), error.toString(), config.spoolDir());
        }
        kafkaHealthy = false;
        lastProbeNanos = System.nanoTime();
        toSpool(e);
    }

    private void toSpool(LlmCallEvent e) {
        try {
            boolean stored = config.spoolFullPolicy() == ClientConfig.SpoolFullPolicy.BLOCK
                    ? spool.append(encode(e), config.blockTimeout()) : spool.append(encode(e));
            if (stored) {
                spooled.increment();
            } else {
                drop("spool " + config.spoolDir() + " is full (" + config.spoolMaxBytes() + " bytes)");
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            drop("interrupted while spooling");
        } catch (IOException | RuntimeException io) {
            drop("cannot write spool " + config.spoolDir() + ": " + io);
        }
    }

    /**
     * Sends every record of the oldest segment; deletes it only when each was acknowledged or found
     * never sendable (then kept in the dead-letter file). While Kafka is away, the first record alone
     * probes it, so a whole segment is not sent again on every attempt, and attempts back off from 1 s
     * to 60 s.
     */
    private void replayOldestSegment() throws IOException, InterruptedException {
        Spool.Segment segment = spool.oldest();
        if (segment == null) {
            return;
        }
        lastProbeNanos = System.nanoTime();
        Spool.Contents contents = Spool.read(segment);
        if (contents.corruptBytes() > 0) {
            spoolCorruptBytes.increment(contents.corruptBytes());
            LOG.warn("llm-audit spool segment {} has {} unreadable bytes (torn write or damaged frames); the {} intact records are replayed",
                    segment.file(), contents.corruptBytes(), contents.records().size());
        }
        List<LlmCallEvent> events = new ArrayList<>(contents.records().size());
        for (byte[] bytes : contents.records()) {
            try {
                events.add(decode(bytes));
            } catch (IOException | RuntimeException bad) {
                spoolCorruptBytes.increment(bytes.length);
                LOG.warn("llm-audit spool record in {} cannot be decoded ({}); skipped", segment.file(), bad.toString());
            }
        }
        int from = 0;
        long delivered = 0;
        if (!kafkaHealthy && !events.isEmpty()) {
            // Probe with one record before sending the rest again.
            long probe = sendAll(events.subList(0, 1));
            if (probe < 0) {
                backOff();
                return;
            }
            delivered += probe;
            from = 1;
        }
        long rest = sendAll(events.subList(from, events.size()));
        if (rest >= 0) {
            delivered += rest;
            spool.delete(segment);
            replayed.increment(delivered);
            sent.increment(delivered);
            if (!kafkaHealthy) {
                LOG.info("llm-audit reached Kafka again; replayed {} spooled events", events.size());
            }
            kafkaHealthy = true;
            replayBackoffNanos = MIN_BACKOFF_NANOS;
        } else {
            // Kept for the next attempt; records that did get through will be sent again and removed downstream by event_id.
            backOff();
            if (closed.get()) {
                throw new InterruptedException("closing");
            }
        }
    }

    private void backOff() {
        kafkaHealthy = false;
        replayBackoffNanos = Math.min(MAX_BACKOFF_NANOS, replayBackoffNanos * 2);
    }

    /**
     * Sends and waits for every acknowledgement. Returns how many Kafka acknowledged when every record
     * was either acknowledged or never sendable (dead-lettered), else -1 (keep the segment, retry later).
     */
    private long sendAll(List<LlmCallEvent> events) throws InterruptedException {
        AtomicLong failures = new AtomicLong();
        AtomicLong acknowledged = new AtomicLong();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(events.size());
        for (LlmCallEvent e : events) {
            try {
                producer.send(new ProducerRecord<>(config.topic(), e.getEventId(), e), (metadata, error) -> {
                    if (error == null) {
                        acknowledged.incrementAndGet();
                    } else if (!neverSendable(error)) {
                        failures.incrementAndGet();
                    } else {
                        deadLetter(e, "Kafka cannot take it: " + error);
                    }
                    done.countDown();
                });
            } catch (RuntimeException error) {
                if (neverSendable(error)) {
                    deadLetter(e, "Kafka cannot take it: " + error);
                } else {
                    failures.incrementAndGet();
                }
                done.countDown();
            }
        }
        long waitMs = config.deliveryTimeout().toMillis() + 5_000;
        return done.await(waitMs, TimeUnit.MILLISECONDS) && failures.get() == 0 ? acknowledged.get() : -1;
    }

    /**
     * Stops accepting events, sends what Kafka takes within the delivery timeout and spools the rest.
     * Spooled events are replayed by the next client using the same spool directory.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            sender.join(config.deliveryTimeout().toMillis() + 10_000);
            if (sender.isAlive()) {
                sender.interrupt();
                sender.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Anything left in memory goes to the spool.
        LlmCallEvent e;
        while ((e = queue.poll()) != null) {
            toSpool(stamped(e));
        }
        // Records still in the producer fail with an error when it closes; their callbacks spool them.
        producer.close(config.deliveryTimeout());
        try {
            spool.close();
        } catch (IOException io) {
            LOG.warn("llm-audit could not close spool {}: {}", config.spoolDir(), io.toString());
        }
    }
}
