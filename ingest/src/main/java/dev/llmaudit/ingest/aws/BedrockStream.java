package dev.llmaudit.ingest.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.ingest.capture.StreamedCall;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Base64;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.eventstream.Message;
import software.amazon.awssdk.eventstream.MessageDecoder;

/**
 * Reads a Bedrock response event stream (AWS event-stream framing) as its bytes pass through to
 * the SDK, and records the call once when the stream completes, fails or is cancelled.
 *
 * <ul>
 *   <li>ConverseStream: {@code contentBlockDelta} is the first token; {@code metadata} carries
 *       usage (input, output, cache read and write) and is the last event.
 *   <li>InvokeModelWithResponseStream: each {@code chunk} holds the model's own JSON (base64); the
 *       last one carries {@code amazon-bedrock-invocationMetrics} (input and output token counts,
 *       for every model family). The first chunk with text is the first token.
 *   <li>An {@code exception} message (throttling, model stream error, ...) records an error named
 *       by its {@code :exception-type}.
 * </ul>
 * The SDK's buffers are read through duplicates: positions the SDK sees do not move.
 */
final class BedrockStream implements Publisher<ByteBuffer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Publisher<ByteBuffer> delegate;
    private final StreamedCall call;
    private final boolean converse;
    private final MessageDecoder decoder = new MessageDecoder(this::onMessageSafely);
    private volatile boolean ended;
    private volatile boolean undecodable;

    BedrockStream(Publisher<ByteBuffer> delegate, StreamedCall call, boolean converse) {
        this.delegate = delegate;
        this.call = call;
        this.converse = converse;
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> app) {
        delegate.subscribe(new Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Subscription s) {
                app.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        s.request(n);
                    }

                    @Override
                    public void cancel() {
                        if (ended) {
                            call.complete();
                        } else {
                            call.cancel();
                        }
                        s.cancel();
                    }
                });
            }

            @Override
            public void onNext(ByteBuffer bytes) {
                if (!undecodable) {
                    try {
                        decoder.feed(bytes.duplicate());
                    } catch (RuntimeException e) {
                        undecodable = true; // the SDK will fail on the same bytes and say why; the capture stops reading them
                    }
                }
                app.onNext(bytes);
            }

            @Override
            public void onError(Throwable t) {
                call.fail(t.getClass().getSimpleName(), null);
                app.onError(t);
            }

            @Override
            public void onComplete() {
                if (ended) {
                    call.complete();
                } else {
                    call.fail("incomplete_stream", null);
                }
                app.onComplete();
            }
        });
    }

    /** One unreadable event does not stop the capture: only broken framing does ({@code undecodable}). */
    private void onMessageSafely(Message message) {
        try {
            onMessage(message);
        } catch (RuntimeException e) {
            // skip this event; the next may carry the usage
        }
    }

    private void onMessage(Message message) {
        String messageType = header(message, ":message-type");
        if ("exception".equals(messageType) || "error".equals(messageType)) {
            String type = header(message, "exception".equals(messageType) ? ":exception-type" : ":error-code");
            call.fail(type == null ? "stream_error" : type, null);
            return;
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(message.getPayload());
        } catch (IOException e) {
            return;
        }
        String eventType = header(message, ":event-type");
        if (converse) {
            onConverseEvent(eventType, payload);
        } else if ("chunk".equals(eventType) && payload.path("bytes").isTextual()) {
            try {
                onModelChunk(JSON.readTree(Base64.getDecoder().decode(payload.get("bytes").asText())));
            } catch (IOException | IllegalArgumentException e) {
                // not the model's JSON: nothing to learn from it
            }
        }
    }

    private void onConverseEvent(String eventType, JsonNode payload) {
        if ("contentBlockDelta".equals(eventType)) {
            JsonNode delta = payload.path("delta");
            call.firstToken();
            call.text(delta.path("text").asText(null));
        } else if ("metadata".equals(eventType)) {
            JsonNode usage = payload.path("usage");
            call.update(e -> converseUsage(usage, e));
            ended = true;
        }
    }

    /** Usage as Converse reports it: cache reads and writes apart from inputTokens; the contract's input_tokens includes them. */
    static void converseUsage(JsonNode usage, LlmCallEvent.Builder e) {
        if (!usage.path("inputTokens").canConvertToLong()) {
            return;
        }
        long cacheRead = usage.path("cacheReadInputTokens").asLong(0);
        long cacheWrite = usage.path("cacheWriteInputTokens").asLong(0);
        e.setInputTokens(usage.get("inputTokens").asLong() + cacheRead + cacheWrite);
        e.setCachedInputTokens(usage.has("cacheReadInputTokens") ? cacheRead : null);
        e.setOutputTokens(usage.path("outputTokens").canConvertToLong() ? usage.get("outputTokens").asLong() : null);
    }

    private void onModelChunk(JsonNode chunk) {
        JsonNode metrics = chunk.path("amazon-bedrock-invocationMetrics");
        if (metrics.isObject()) {
            call.update(e -> {
                // Bedrock's counts; inputTokenCount excludes cache reads and writes when the model reports them.
                long cacheRead = metrics.path("cacheReadInputTokenCount").asLong(0);
                long cacheWrite = metrics.path("cacheWriteInputTokenCount").asLong(0);
                if (metrics.path("inputTokenCount").canConvertToLong()) {
                    e.setInputTokens(metrics.get("inputTokenCount").asLong() + cacheRead + cacheWrite);
                }
                if (metrics.has("cacheReadInputTokenCount")) {
                    e.setCachedInputTokens(cacheRead);
                }
                if (metrics.path("outputTokenCount").canConvertToLong()) {
                    e.setOutputTokens(metrics.get("outputTokenCount").asLong());
                }
            });
            ended = true;
        }
        String text = text(chunk);
        if (text != null && !text.isEmpty()) {
            call.firstToken();
            call.text(text);
        }
    }

    /** The text of one chunk in the model families' own formats (Anthropic, OpenAI-style, Llama, Titan, Mistral). */
    private static String text(JsonNode chunk) {
        if ("content_block_delta".equals(chunk.path("type").asText())) {
            return chunk.path("delta").path("text").asText(null);
        }
        if (chunk.path("choices").isArray() && !chunk.path("choices").isEmpty()) {
            JsonNode first = chunk.path("choices").get(0);
            return first.path("delta").path("content").asText(first.path("text").asText(null));
        }
        for (String field : new String[] {"generation", "outputText", "completion"}) {
            if (chunk.path(field).isTextual()) {
                return chunk.get(field).asText();
            }
        }
        if (chunk.path("outputs").isArray() && !chunk.path("outputs").isEmpty()) {
            return chunk.path("outputs").get(0).path("text").asText(null);
        }
        return null;
    }

    private static String header(Message m, String name) {
        var value = m.getHeaders().get(name);
        return value == null || value.getType() != software.amazon.awssdk.eventstream.HeaderType.STRING ? null : value.getString();
    }
}
