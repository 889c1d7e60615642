package dev.llmaudit.enforcer;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.jobs.DeadLetters;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams exception handlers that turn a record a processor or a sink failed on into a dead
 * letter (KIP-1033/1034: the dead letter is written in the same transaction as the rest of the task's
 * output) and let the task continue. Without them one record the code cannot handle fails the task,
 * the replaced thread reprocesses the same offset, and the partition is wedged for good.
 *
 * <p>The dead letter is the contract's {@link DeadLetter} (Avro, Confluent wire format) on the DLQ
 * topic, keyed like the source record, with the failing node as its stage and the exception as its
 * reason; the source record's key and value are kept unchanged.
 */
public final class DeadLetterHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);
    /** Streams config key under which the {@link Sink} travels to the handlers Kafka instantiates. */
    static final String SINK = "llm-audit.dead-letter.sink";

    private DeadLetterHandlers() {}

    /** Where dead letters go and how they are encoded; shared by both handlers of one app. */
    public static final class Sink {
        private final String topic;
        private final ConfluentAvroCodec<DeadLetter> codec;
        private final AtomicLong processingFailures = new AtomicLong();
        private final AtomicLong productionFailures = new AtomicLong();
        private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - 2_000_000_000L);

        public Sink(String topic, SchemaRegistryClient registry) {
            this.topic = Objects.requireNonNull(topic, "dlq topic");
            this.codec = new ConfluentAvroCodec<>(registry, DeadLetter.class, true);
        }

        public long processingFailures() {
            return processingFailures.get();
        }

        public long productionFailures() {
            return productionFailures.get();
        }

        List<ProducerRecord<byte[], byte[]>> deadLetter(ErrorHandlerContext ctx, String stage, Exception e) {
            DeadLetter d = DeadLetters.of(stage, e.getClass().getSimpleName(), DeadLetters.reason(e), ctx.topic(), ctx.partition(),
                    ctx.offset(), ctx.sourceRawKey(), ctx.sourceRawValue(), Instant.now());
            RecordHeaders headers = new RecordHeaders();
            DeadLetters.addHeaders(headers, d);
            long now = System.nanoTime();
            long last = lastWarn.get();
            // One WARN per second at most: a poison stream must not flood the log (every record is on the DLQ).
            if (now - last > 1_000_000_000L && lastWarn.compareAndSet(last, now)) {
                LOG.warn("Record {}-{}@{} failed in {} and went to {}: {}: {}", ctx.topic(), ctx.partition(), ctx.offset(), stage, topic,
                        d.getErrorClass(), d.getErrorMessage());
            }
            LOG.debug("Stack trace", e);
            return List.of(new ProducerRecord<>(topic, null, ctx.sourceRawKey(), codec.encode(ConfluentAvroCodec.subject(topic, false), d), headers));
        }
    }

    /** Adds both handlers and their sink to a Streams configuration. */
    public static void configure(Properties streams, Sink sink) {
        streams.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, Processing.class.getName());
        streams.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, Production.class.getName());
        streams.put(SINK, sink);
    }

    private static Sink sink(Map<String, ?> configs) {
        Object s = configs.get(SINK);
        if (!(s instanceof Sink sink)) {
            throw new IllegalStateException("the dead-letter handlers need " + SINK + " (use DeadLetterHandlers.configure)");
        }
        return sink;
    }

    /** A processor threw on a record: dead letter with the node's name, continue with the next record. */
    public static final class Processing implements ProcessingExceptionHandler {
        private Sink sink;

        @Override
        public void configure(Map<String, ?> configs) {
            sink = sink(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            sink.processingFailures.incrementAndGet();
            return Response.resume(sink.deadLetter(context, context.processorNodeId(), exception));
        }
    }

    /**
     * A record could not be serialized or was refused by the broker (too large, invalid): dead letter
     * with the sink's name, continue. Retriable broker errors are left to the producer.
     */
    public static final class Production implements ProductionExceptionHandler {
        private Sink sink;

        @Override
        public void configure(Map<String, ?> configs) {
            sink = sink(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            if (exception instanceof org.apache.kafka.common.errors.RetriableException) {
                return Response.retry();
            }
            sink.productionFailures.incrementAndGet();
            return Response.resume(sink.deadLetter(context, "write " + record.topic(), exception));
        }

        @Override
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                                 SerializationExceptionOrigin origin) {
            sink.productionFailures.incrementAndGet();
            return Response.resume(sink.deadLetter(context, "serialize " + record.topic() + " " + origin.name().toLowerCase(java.util.Locale.ROOT),
                    exception));
        }
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
