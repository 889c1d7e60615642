package dev.llmaudit.ingest.capture;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.ingest.client.LlmAuditClient;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed model call being captured while its stream passes through to the app.
 *
 * <p>The event is built from what the request said (on the caller's thread, so it carries the
 * caller's {@code LlmAuditContext}) and filled as the stream goes by: the time the first token
 * arrived, usage, the answering model. It is recorded exactly once, by whichever comes first:
 * the stream {@linkplain #complete() completes}, {@linkplain #fail fails} or is
 * {@linkplain #cancel() cancelled} by the app. Nothing here throws into the app's stream.
 *
 * <p>Response text is hashed as it streams (an HMAC updated piece by piece, in constant memory),
 * only when the audit client has a key; nothing of the text is kept.
 */
public final class StreamedCall {
    private static final Logger LOG = LoggerFactory.getLogger(StreamedCall.class);

    private final LlmAuditClient audit;
    private final LlmCallEvent.Builder event;
    private final long startedNanos;
    private final LlmAuditClient.TextHasher text;
    private long firstTokenNanos = -1;
    private boolean recorded;

    /**
     * @param event the fields the request gave (model, cloud, region, scope, prompt hash, context)
     * @param startedNanos {@link System#nanoTime()} when the request was sent
     */
    public StreamedCall(LlmAuditClient audit, LlmCallEvent.Builder event, long startedNanos) {
        this.audit = Objects.requireNonNull(audit, "audit client");
        this.event = Objects.requireNonNull(event, "event").setStreaming(true);
        this.startedNanos = startedNanos;
        this.text = audit.textHasher();
    }

    /** Marks the first token's arrival; later calls change nothing. */
    public synchronized void firstToken() {
        if (firstTokenNanos < 0) {
            firstTokenNanos = System.nanoTime();
        }
    }

    /** True once the first token arrived. */
    public synchronized boolean hasFirstToken() {
        return firstTokenNanos >= 0;
    }

    /** True when streamed text is kept for the response hash; parsers may skip text they need for nothing else. */
    public boolean keepsText() {
        return text != null;
    }

    /** Appends streamed response text for the response hash (only kept when hashing). */
    public synchronized void text(String delta) {
        if (text != null && !recorded) {
            text.update(delta);
        }
    }

    /** Changes the event while the stream runs (usage, answering model, ids). */
    public synchronized void update(Consumer<LlmCallEvent.Builder> change) {
        if (!recorded) {
            change.accept(event);
        }
    }

    /** The stream ended as the protocol says a stream ends. */
    public void complete() {
        finish(null, null);
    }

    /** The stream broke (connection lost, error event, truncated): recorded as an error with what was seen so far. */
    public void fail(String errorType, Integer httpStatus) {
        finish(errorType == null ? "stream_error" : errorType, httpStatus);
    }

    /** The app stopped reading before the stream ended. */
    public void cancel() {
        finish("cancelled", null);
    }

    /** True once the event was handed to the audit client. */
    public synchronized boolean recorded() {
        return recorded;
    }

    private synchronized void finish(String errorType, Integer httpStatus) {
        if (recorded) {
            return;
        }
        recorded = true;
        try {
            long now = System.nanoTime();
            event.setEventTime(Instant.now()).setLatencyMs(TimeUnit.NANOSECONDS.toMillis(now - startedNanos));
            if (firstTokenNanos >= 0) {
                event.setTimeToFirstTokenMs(TimeUnit.NANOSECONDS.toMillis(firstTokenNanos - startedNanos));
            }
            if (errorType != null) {
                event.setStatus(CallStatus.error).setErrorType(errorType);
                if (httpStatus != null) {
                    event.setHttpStatus(httpStatus);
                }
            }
            if (text != null) {
                String hash = text.finish();
                if (hash != null) {
                    event.setResponseHash(hash);
                }
            }
            audit.record(event.build());
        } catch (RuntimeException e) {
            LOG.warn("llm-audit could not record a streamed call: {}", e.toString());
        }
    }
}
