package dev.llmaudit.ingest.anthropic;

import com.anthropic.core.RequestOptions;
import com.anthropic.core.http.Headers;
import com.anthropic.core.http.HttpClient;
import com.anthropic.core.http.HttpRequest;
import com.anthropic.core.http.HttpResponse;
import com.anthropic.core.http.Interceptor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.ingest.aws.BedrockAuditInterceptor;
import dev.llmaudit.ingest.capture.ContentText;
import dev.llmaudit.ingest.capture.SseCapture;
import dev.llmaudit.ingest.capture.StreamedCall;
import dev.llmaudit.ingest.capture.VertexLocations;
import dev.llmaudit.ingest.client.CallEvents;
import dev.llmaudit.ingest.client.LlmAuditClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records calls made with Anthropic's Java SDK ({@code com.anthropic:anthropic-java}), to
 * Anthropic's API, to Claude on Amazon Bedrock or to Claude on Vertex AI, as one of the SDK's own
 * interceptors:
 * <pre>
 * AnthropicClient claude = AnthropicOkHttpClient.builder()
 *     .backend(BedrockBackend.fromEnv())
 *     .addInterceptor(AnthropicAuditInterceptor.bedrock(auditClient, "eu-central-1"))
 *     .build();
 * </pre>
 * The SDK's interceptors see every backend in Anthropic's own shape (the Bedrock event stream is
 * already decoded to server-sent events), but not the backend's URL, so the cloud and region come
 * from the factory; the deployment scope comes from the Bedrock inference-profile prefix, or the
 * Vertex location. Messages (and the legacy completions) are recorded, streamed or not; usage is
 * Anthropic's, with cache reads and writes added to {@code input_tokens} as the contract counts
 * them. Streams are recorded once when they end, break or are closed, with the time to first
 * token. Interceptors see each retry: each attempt is its own event. Prompt and response text
 * are only hashed (HMAC), and only when the audit client has a key. Never fails the app's call.
 */
public final class AnthropicAuditInterceptor implements Interceptor {
    private static final Logger LOG = LoggerFactory.getLogger(AnthropicAuditInterceptor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Non-streamed answers larger than this pass through unread (and unrecorded tokens); Claude's largest is far below. */
    private static final int MAX_BODY = 8 * 1024 * 1024;

    private final LlmAuditClient audit;
    private final Cloud cloud;
    private final String provider;
    private final String region;
    private final String endpoint;

    private AnthropicAuditInterceptor(LlmAuditClient audit, Cloud cloud, String provider, String region, String endpoint) {
        this.audit = Objects.requireNonNull(audit, "audit client");
        this.cloud = cloud;
        this.provider = provider;
        this.region = region;
        this.endpoint = endpoint;
    }

    /** Anthropic's own API (global). */
    public static AnthropicAuditInterceptor anthropic(LlmAuditClient audit) {
        return new AnthropicAuditInterceptor(audit, Cloud.anthropic, "anthropic", null, "api.anthropic.com");
    }

    /** Claude on Amazon Bedrock in this region (the backend's region). */
    public static AnthropicAuditInterceptor bedrock(LlmAuditClient audit, String region) {
        Objects.requireNonNull(region, "Bedrock region");
        return new AnthropicAuditInterceptor(audit, Cloud.aws, "aws.bedrock", region, "bedrock-runtime." + region + ".amazonaws.com");
    }

    /** Claude on Vertex AI at this location ({@code global}, a multi-region such as {@code us}, or a region such as {@code europe-west1}). */
    public static AnthropicAuditInterceptor vertex(LlmAuditClient audit, String location) {
        Objects.requireNonNull(location, "Vertex location");
        return new AnthropicAuditInterceptor(audit, Cloud.gcp, "gcp.vertex_ai", location, VertexLocations.host(location));
    }

    @Override
    public HttpClient intercept(HttpClient next) {
        return new HttpClient() {
            @Override
            public HttpResponse execute(HttpRequest request, RequestOptions options) {
                Call call = start(request);
                if (call == null) {
                    return next.execute(request, options);
                }
                HttpResponse response;
                try {
                    response = next.execute(call.request, options);
                } catch (RuntimeException e) {
                    call.failed(e);
                    throw e;
                }
                return call.answered(response);
            }

            @Override
            public CompletableFuture<HttpResponse> executeAsync(HttpRequest request, RequestOptions options) {
                Call call = start(request);
                if (call == null) {
                    return next.executeAsync(request, options);
                }
                return next.executeAsync(call.request, options).handle((response, failure) -> {
                    if (failure != null) {
                        call.failed(failure);
                        throw failure instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(failure);
                    }
                    return call.answered(response);
                });
            }

            @Override
            public void close() {
                next.close();
            }
        };
    }

    /** The call being made, or null when the request is not a model call (model lists, token counts, batches). */
    private Call start(HttpRequest request) {
        try {
            List<String> path = request.pathSegments();
            String last = path.isEmpty() ? "" : path.get(path.size() - 1);
            Operation operation = path.size() >= 2 && path.get(path.size() - 2).equals("v1")
                    ? (last.equals("messages") ? Operation.chat : last.equals("complete") ? Operation.text_completion : null) : null;
            if (operation == null) {
                return null;
            }
            HttpRequest replayable = request.body().map(b -> b.repeatable()).orElse(true) ? request : request.buffered();
            JsonNode body = JSON.createObjectNode();
            if (replayable.body().isPresent()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                replayable.body().get().writeTo(bytes);
                body = JSON.readTree(bytes.toByteArray());
            }
            String model = body.path("model").asText(null);
            boolean streaming = body.path("stream").asBoolean(false);
            LlmCallEvent.Builder e = CallEvents.start(Instant.now()).setCloud(cloud).setProvider(provider).setRegion(region)
                    .setEndpoint(endpoint).setOperation(operation).setRequestModel(model).setStreaming(streaming)
                    .setDeploymentScope(scope(model));
            StringBuilder prompt = new StringBuilder();
            body.path("messages").forEach(m -> ContentText.append(prompt, m.path("content")));
            ContentText.append(prompt, body.path("prompt"));
            e.setPromptHash(audit.hash(ContentText.joined(prompt)));
            return new Call(replayable, e, System.nanoTime(), streaming);
        } catch (IOException | RuntimeException ex) {
            LOG.warn("llm-audit could not read an Anthropic request: {}", ex.toString());
            return null;
        }
    }

    private DeploymentScope scope(String model) {
        return switch (cloud) {
            case aws -> model == null ? DeploymentScope.regional : BedrockAuditInterceptor.scopeOf(model);
            case gcp -> VertexLocations.scope(region);
            default -> DeploymentScope.global;
        };
    }

    /** One model call: recorded when answered, or, streamed, when its stream ends. */
    private final class Call {
        final HttpRequest request;
        final LlmCallEvent.Builder event;
        final long started;
        final boolean streaming;

        Call(HttpRequest request, LlmCallEvent.Builder event, long started, boolean streaming) {
            this.request = request;
            this.event = event;
            this.started = started;
            this.streaming = streaming;
        }

        void failed(Throwable t) {
            try {
                event.setStatus(CallStatus.error).setErrorType(t.getClass().getSimpleName()).setEventTime(Instant.now())
                        .setLatencyMs((System.nanoTime() - started) / 1_000_000);
                audit.record(event.build());
            } catch (RuntimeException ex) {
                LOG.warn("llm-audit could not record a failed Anthropic call: {}", ex.toString());
            }
        }

        HttpResponse answered(HttpResponse response) {
            try {
                event.setHttpStatus(response.statusCode());
                first(response.headers(), "request-id").ifPresent(event::setRequestId);
                if (streaming && response.statusCode() < 300) {
                    AnthropicStream capture = new AnthropicStream(new StreamedCall(audit, event, started));
                    return new Answer(response, capture.tap(response.body()));
                }
            } catch (RuntimeException ex) {
                LOG.warn("llm-audit could not capture an Anthropic stream: {}", ex.toString());
                return response;
            }
            // The app gets every byte, whatever the capture makes of them: what was read first, then the rest.
            byte[] head = new byte[0];
            IOException readFailure = null;
            try {
                head = response.body().readNBytes(MAX_BODY);
            } catch (IOException e) {
                readFailure = e;
            }
            InputStream body = new SequenceInputStream(new ByteArrayInputStream(head), readFailure == null ? response.body()
                    : failing(readFailure));
            JsonNode answer = JSON.createObjectNode();
            if (readFailure == null && head.length < MAX_BODY) {
                try {
                    answer = JSON.readTree(head);
                } catch (IOException | RuntimeException e) {
                    // not JSON (a proxy's HTML error page): recorded with the status only
                }
            }
            try {
                if (readFailure != null) {
                    event.setStatus(CallStatus.error).setErrorType(readFailure.getClass().getSimpleName());
                }
                record(answer, response.statusCode());
            } catch (RuntimeException ex) {
                LOG.warn("llm-audit could not record an Anthropic call: {}", ex.toString());
            }
            return new Answer(response, body);
        }

        /** A stream that fails as the provider's body did, so the app sees the same error. */
        private static InputStream failing(IOException e) {
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    throw e;
                }
            };
        }

        private void record(JsonNode answer, int status) {
            event.setEventTime(Instant.now()).setLatencyMs((System.nanoTime() - started) / 1_000_000);
            if (event.getStatus() == CallStatus.error) {
                // the body could not be read
            } else if (status >= 300) {
                event.setStatus(CallStatus.error).setErrorType(answer.path("error").path("type").asText("http_" + status));
            } else {
                if (answer.path("model").isTextual()) {
                    event.setResponseModel(answer.get("model").asText());
                }
                if (answer.path("id").isTextual()) {
                    event.setRequestId(answer.get("id").asText());
                }
                Usage usage = new Usage();
                usage.add(answer.path("usage"));
                usage.to(event);
                StringBuilder text = new StringBuilder();
                ContentText.append(text, answer.path("content"));
                ContentText.append(text, answer.path("completion"));
                event.setResponseHash(audit.hash(ContentText.joined(text)));
            }
            audit.record(event.build());
        }
    }

    /**
     * Anthropic's usage, kept as its parts: {@code input_tokens} excludes cache reads and writes, which
     * the contract's {@code input_tokens} includes. A stream reports usage twice ({@code message_start},
     * then {@code message_delta}), and a part missing or null in the second keeps its first value.
     */
    static final class Usage {
        private Long input;
        private Long cacheRead;
        private Long cacheWrite;
        private Long output;

        void add(JsonNode usage) {
            if (!usage.isObject()) {
                return;
            }
            input = number(usage, "input_tokens", input);
            cacheRead = number(usage, "cache_read_input_tokens", cacheRead);
            cacheWrite = number(usage, "cache_creation_input_tokens", cacheWrite);
            output = number(usage, "output_tokens", output);
        }

        void to(LlmCallEvent.Builder e) {
            if (input != null) {
                e.setInputTokens(input + (cacheRead == null ? 0 : cacheRead) + (cacheWrite == null ? 0 : cacheWrite));
                e.setCachedInputTokens(cacheRead == null ? 0L : cacheRead);
            }
            e.setOutputTokens(output);
        }

        private static Long number(JsonNode usage, String field, Long previous) {
            JsonNode v = usage.get(field);
            return v != null && v.canConvertToLong() && v.isNumber() ? Long.valueOf(v.asLong()) : previous;
        }
    }

    private static java.util.Optional<String> first(Headers headers, String name) {
        List<String> values = headers.values(name);
        return values.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(values.get(0));
    }

    /** The provider's response with the body the app will read. */
    private record Answer(HttpResponse response, InputStream body) implements HttpResponse {
        @Override
        public int statusCode() {
            return response.statusCode();
        }

        @Override
        public Headers headers() {
            return response.headers();
        }

        @Override
        public InputStream body() {
            return body;
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException e) {
                // closing the provider's response below is what matters
            }
            response.close();
        }
    }

    /**
     * Anthropic's message stream: {@code message_start} (model, id, input usage), deltas (the first
     * is the first token), {@code message_delta} (output usage), {@code message_stop} (the end),
     * {@code error} (overloaded_error, ...).
     */
    private static final class AnthropicStream extends SseCapture {
        private final Usage usage = new Usage();

        AnthropicStream(StreamedCall call) {
            super(call);
        }

        @Override
        protected void onEvent(String name, String data) {
            JsonNode event;
            try {
                event = JSON.readTree(data);
            } catch (IOException e) {
                return;
            }
            switch (event.path("type").asText("")) {
                case "message_start" -> {
                    JsonNode message = event.path("message");
                    call.update(e -> {
                        if (message.path("model").isTextual()) {
                            e.setResponseModel(message.get("model").asText());
                        }
                        if (message.path("id").isTextual()) {
                            e.setRequestId(message.get("id").asText());
                        }
                        usage.add(message.path("usage"));
                        usage.to(e);
                    });
                }
                case "content_block_delta" -> {
                    call.firstToken();
                    call.text(event.path("delta").path("text").asText(null));
                }
                case "message_delta" -> call.update(e -> {
                    usage.add(event.path("usage"));
                    usage.to(e);
                });
                case "message_stop" -> ended = true;
                case "error" -> call.fail(event.path("error").path("type").asText("stream_error"), null);
                default -> { }
            }
        }
    }
}
