package dev.llmaudit.ingest.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.ingest.capture.ContentText;
import dev.llmaudit.ingest.capture.OkHttpStreams;
import dev.llmaudit.ingest.capture.SseCapture;
import dev.llmaudit.ingest.capture.StreamedCall;
import dev.llmaudit.ingest.capture.VertexLocations;
import dev.llmaudit.ingest.client.CallEvents;
import dev.llmaudit.ingest.client.LlmAuditClient;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records calls made with Google's Gen AI Java SDK ({@code com.google.genai:google-genai}), to the
 * Gemini API or to Vertex AI, as an OkHttp interceptor on the HTTP client the SDK is given:
 * <pre>
 * Client genai = Client.builder().vertexAI(true).project("claims-prod").location("europe-west4")
 *     .clientOptions(ClientOptions.builder().customHttpClient(GoogleGenAiAuditInterceptor.httpClient(auditClient)).build())
 *     .build();
 * </pre>
 * Everything comes from the wire: Vertex AI paths name the project and location
 * ({@code /projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent}),
 * so the region is the location and the scope follows it (global, multi-region = data zone,
 * region = regional); Gemini API paths ({@code /models/gemini-2.5-flash:generateContent}) are
 * Google's global service. {@code generateContent} and {@code streamGenerateContent} are recorded,
 * the stream once when it ends, breaks or is closed, with the time to first token. Usage follows
 * Gemini's {@code usageMetadata}: input = prompt + tool-use prompt tokens (cached included), output =
 * candidates + thoughts, reasoning = thoughts. Prompt and response text are only hashed (HMAC), and
 * only when the audit client has a key. Never fails the app's call.
 */
public final class GoogleGenAiAuditInterceptor implements Interceptor {
    private static final Logger LOG = LoggerFactory.getLogger(GoogleGenAiAuditInterceptor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_PEEK = 8L * 1024 * 1024;
    private static final Pattern MODEL_CALL = Pattern.compile(".*/models/([^/:]+):(generateContent|streamGenerateContent)$");
    private static final Pattern LOCATION = Pattern.compile(".*/projects/[^/]+/locations/([^/]+)/.*");

    private final LlmAuditClient audit;

    private GoogleGenAiAuditInterceptor(LlmAuditClient audit) {
        this.audit = Objects.requireNonNull(audit, "audit client");
    }

    public static GoogleGenAiAuditInterceptor create(LlmAuditClient audit) {
        return new GoogleGenAiAuditInterceptor(audit);
    }

    /**
     * An OkHttp client with the capture, for {@code ClientOptions.customHttpClient}. Its timeouts are
     * the SDK's own defaults (none: a thinking model may be silent for minutes; {@code HttpOptions.timeout}
     * still applies per request). The SDK applies {@code ClientOptions.maxConnections} and proxy options
     * only to a client it builds itself: set those on {@code base} with {@link #httpClient(LlmAuditClient, OkHttpClient)}.
     */
    public static OkHttpClient httpClient(LlmAuditClient audit) {
        return httpClient(audit, new OkHttpClient.Builder().connectTimeout(java.time.Duration.ZERO).readTimeout(java.time.Duration.ZERO)
                .writeTimeout(java.time.Duration.ZERO).build());
    }

    /** The app's own OkHttp client (timeouts, pool, proxy) with the capture added. */
    public static OkHttpClient httpClient(LlmAuditClient audit, OkHttpClient base) {
        return base.newBuilder().addInterceptor(create(audit)).build();
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        LlmCallEvent.Builder event;
        boolean streaming;
        long started = System.nanoTime();
        Matcher call = MODEL_CALL.matcher(request.url().encodedPath());
        if (!call.matches()) {
            return chain.proceed(request);
        }
        try {
            streaming = call.group(2).equals("streamGenerateContent");
            event = start(request, call.group(1), streaming);
        } catch (RuntimeException e) {
            LOG.warn("llm-audit could not read a Gen AI request: {}", e.toString());
            return chain.proceed(request);
        }
        Response response;
        try {
            response = chain.proceed(request);
        } catch (IOException | RuntimeException e) {
            record(event.setStatus(CallStatus.error).setErrorType(e.getClass().getSimpleName()), started);
            throw e;
        }
        try {
            event.setHttpStatus(response.code());
            if (streaming && response.isSuccessful() && response.body() != null) {
                return response.newBuilder().body(OkHttpStreams.tap(response.body(), new GeminiStream(new StreamedCall(audit, event, started))))
                        .build();
            }
            JsonNode answer = answerOf(response);
            if (!response.isSuccessful()) {
                JsonNode error = answer.path("error");
                event.setStatus(CallStatus.error).setErrorType(error.path("status").asText("http_" + response.code()));
            } else {
                fromResponse(answer, event);
                StringBuilder text = new StringBuilder();
                appendText(text, answer);
                event.setResponseHash(audit.hash(ContentText.joined(text)));
            }
            record(event, started);
        } catch (RuntimeException e) {
            LOG.warn("llm-audit could not record a Gen AI call: {}", e.toString());
        }
        return response;
    }

    /** The answer as JSON (a copy: the app reads the body), or an empty object when it is not JSON or too large. */
    private static JsonNode answerOf(Response response) {
        try {
            return JSON.readTree(response.peekBody(MAX_PEEK).bytes());
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode();
        }
    }

    private LlmCallEvent.Builder start(Request request, String model, boolean streaming) {
        Matcher location = LOCATION.matcher(request.url().encodedPath());
        boolean vertex = location.matches();
        String region = vertex ? location.group(1) : null;
        JsonNode body = JSON.createObjectNode();
        try {
            if (request.body() != null) {
                Buffer buffer = new Buffer();
                request.body().writeTo(buffer);
                body = JSON.readTree(buffer.readByteArray());
            }
        } catch (IOException | RuntimeException e) {
            // no prompt hash, the call is still recorded
        }
        return CallEvents.start(Instant.now()).setCloud(Cloud.gcp).setProvider(vertex ? "gcp.vertex_ai" : "gcp.gemini").setRegion(region)
                .setDeploymentScope(vertex ? VertexLocations.scope(region) : DeploymentScope.global).setEndpoint(request.url().host())
                .setOperation(Operation.generate_content).setRequestModel(model).setStreaming(streaming)
                .setPromptHash(audit.hash(ContentText.ofMessages(body.path("contents"))));
    }

    private void record(LlmCallEvent.Builder event, long started) {
        try {
            audit.record(event.setEventTime(Instant.now()).setLatencyMs((System.nanoTime() - started) / 1_000_000).build());
        } catch (RuntimeException e) {
            LOG.warn("llm-audit could not record a Gen AI call: {}", e.toString());
        }
    }

    /** Model version, response id and usage from a (whole or streamed) GenerateContentResponse. */
    static void fromResponse(JsonNode answer, LlmCallEvent.Builder e) {
        if (answer.path("modelVersion").isTextual()) {
            e.setResponseModel(answer.get("modelVersion").asText());
        }
        if (answer.path("responseId").isTextual()) {
            e.setRequestId(answer.get("responseId").asText());
        }
        JsonNode usage = answer.path("usageMetadata");
        if (usage.isObject() && usage.has("promptTokenCount")) {
            e.setInputTokens(usage.get("promptTokenCount").asLong() + usage.path("toolUsePromptTokenCount").asLong(0));
            e.setCachedInputTokens(usage.path("cachedContentTokenCount").asLong(0));
        }
        // Early stream chunks count the prompt only: output stays unknown until a chunk counts candidates.
        if (usage.isObject() && usage.has("candidatesTokenCount")) {
            long thoughts = usage.path("thoughtsTokenCount").asLong(0);
            e.setOutputTokens(usage.get("candidatesTokenCount").asLong() + thoughts);
            e.setReasoningTokens(thoughts);
        }
    }

    /** The answer's text parts (thoughts left out), each followed by a newline. */
    static void appendText(StringBuilder b, JsonNode answer) {
        for (JsonNode candidate : answer.path("candidates")) {
            for (JsonNode part : candidate.path("content").path("parts")) {
                if (part.path("text").isTextual() && !part.path("thought").asBoolean(false)) {
                    b.append(part.get("text").asText()).append('\n');
                }
            }
        }
    }

    /** {@code streamGenerateContent?alt=sse}: each event is a GenerateContentResponse; usage grows, the last has it all. */
    private static final class GeminiStream extends SseCapture {
        GeminiStream(StreamedCall call) {
            super(call);
        }

        @Override
        protected void onEvent(String name, String data) {
            JsonNode chunk;
            try {
                chunk = JSON.readTree(data);
            } catch (IOException e) {
                return;
            }
            if (chunk.has("error")) {
                call.fail(chunk.path("error").path("status").asText("stream_error"), null);
                return;
            }
            call.update(e -> fromResponse(chunk, e));
            for (JsonNode candidate : chunk.path("candidates")) {
                for (JsonNode part : candidate.path("content").path("parts")) {
                    if ((part.path("text").isTextual() && !part.get("text").asText().isEmpty()) || part.has("functionCall")) {
                        call.firstToken();
                    }
                    if (part.path("text").isTextual() && !part.path("thought").asBoolean(false)) {
                        call.text(part.get("text").asText());
                    }
                }
                if (candidate.path("finishReason").isTextual()) {
                    ended = true;
                }
            }
        }
    }
}
