package dev.llmaudit.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.ingest.capture.ContentText;
import dev.llmaudit.ingest.capture.StreamedCall;
import dev.llmaudit.ingest.client.CallEvents;
import dev.llmaudit.ingest.client.LlmAuditClient;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records calls made with the official {@code com.openai:openai-java} client, to OpenAI directly or
 * to Azure OpenAI, as an OkHttp interceptor:
 * <pre>
 * OpenAIClient openai = OpenAIOkHttpClient.builder()
 *     .fromEnv()
 *     .addInterceptor(OpenAiAuditInterceptor.azure(auditClient, "swedencentral", DeploymentScope.data_zone))
 *     .build();
 * </pre>
 * Reads the model from the request, and usage (input, cached, output, reasoning tokens), the
 * answering model and the response id from the response body, for chat completions, completions,
 * embeddings and the Responses API. Azure's region and deployment type are not visible on the wire,
 * so they come from configuration. Streamed responses pass through untouched and are recorded once
 * when the stream ends, breaks or is closed ({@link OpenAiStream}), with the time to first token and
 * the usage the stream reports; a streamed chat completion reports usage only when the request asks
 * for it ({@link #withStreamUsage()}), otherwise its tokens stay unknown and it is unpriced, never
 * guessed. Prompt and response text are only hashed (HMAC), and only when the audit client has a
 * key. Never fails the app's call.
 */
public final class OpenAiAuditInterceptor implements Interceptor {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiAuditInterceptor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_PEEK = 8L * 1024 * 1024;

    private final LlmAuditClient audit;
    private final Cloud cloud;
    private final String provider;
    private final String region;
    private final DeploymentScope scope;
    private final boolean askStreamUsage;

    private OpenAiAuditInterceptor(LlmAuditClient audit, Cloud cloud, String provider, String region, DeploymentScope scope,
                                   boolean askStreamUsage) {
        this.audit = Objects.requireNonNull(audit, "audit client");
        this.cloud = cloud;
        this.provider = provider;
        this.region = region;
        this.scope = scope;
        this.askStreamUsage = askStreamUsage;
    }

    /**
     * The same capture, also adding {@code "stream_options": {"include_usage": true}} to streamed
     * chat completions and completions that did not ask for usage, so they are priced. The app then
     * receives one more chunk at the end, with usage and an empty {@code choices} list: turn this on
     * only when the app's stream handling tolerates that (openai-java's accumulators do; code that
     * reads {@code choices().get(0)} of every chunk does not). The Responses API always reports usage.
     */
    public OpenAiAuditInterceptor withStreamUsage() {
        return new OpenAiAuditInterceptor(audit, cloud, provider, region, scope, true);
    }

    /** OpenAI's own API; region is the processing geography (null = OpenAI's default, global). */
    public static OpenAiAuditInterceptor openAi(LlmAuditClient audit, String region) {
        return new OpenAiAuditInterceptor(audit, Cloud.openai, "openai", region, region == null ? DeploymentScope.global : DeploymentScope.regional,
                false);
    }

    /** An Azure OpenAI resource in the given region with the given deployment type (Global, Data Zone, Regional). */
    public static OpenAiAuditInterceptor azure(LlmAuditClient audit, String region, DeploymentScope deploymentType) {
        return new OpenAiAuditInterceptor(audit, Cloud.azure, "azure.ai.openai", Objects.requireNonNull(region, "Azure region"),
                Objects.requireNonNull(deploymentType, "Azure deployment type"), false);
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = askStreamUsage ? askingUsage(chain.request()) : chain.request();
        long started = System.nanoTime();
        Response response;
        try {
            response = chain.proceed(request);
        } catch (IOException | RuntimeException e) {
            safely(() -> record(request, null, started, e));
            throw e;
        }
        try {
            return record(request, response, started, null);
        } catch (RuntimeException e) {
            LOG.warn("llm-audit could not record an OpenAI call: {}", e.toString());
            return response;
        }
    }

    /** The request with {@code stream_options.include_usage} set when it streams a chat completion or completion without it. */
    private static Request askingUsage(Request request) {
        try {
            String path = request.url().encodedPath();
            if (!path.endsWith("/completions") || request.body() == null) {
                return request;
            }
            JsonNode body = requestJson(request);
            if (!body.path("stream").asBoolean(false) || body.path("stream_options").path("include_usage").asBoolean(false)
                    || !(body instanceof com.fasterxml.jackson.databind.node.ObjectNode object)) {
                return request;
            }
            JsonNode options = object.path("stream_options");
            (options.isObject() ? (com.fasterxml.jackson.databind.node.ObjectNode) options : object.putObject("stream_options"))
                    .put("include_usage", true);
            return request.newBuilder().method(request.method(),
                    okhttp3.RequestBody.create(JSON.writeValueAsBytes(object), request.body().contentType())).build();
        } catch (IOException | RuntimeException e) {
            return request; // never fail the app's call over an option of the capture
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("llm-audit could not record an OpenAI call: {}", e.toString());
        }
    }

    /** Records a finished call and returns the response unchanged, or returns it with a body that records the stream as it ends. */
    private Response record(Request request, Response response, long started, Exception failure) {
        String path = request.url().encodedPath();
        Operation operation = path.endsWith("/chat/completions") ? Operation.chat
                : path.endsWith("/completions") ? Operation.text_completion
                : path.endsWith("/embeddings") ? Operation.embeddings
                : path.endsWith("/responses") ? Operation.responses : null;
        if (operation == null) {
            return response; // files, models, ...: not LLM calls
        }
        JsonNode body = requestJson(request);
        String model = body.path("model").asText(null);
        if (model == null && path.contains("/deployments/")) {
            String rest = path.substring(path.indexOf("/deployments/") + "/deployments/".length());
            model = rest.substring(0, rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
        }
        boolean streaming = body.path("stream").asBoolean(false);
        LlmCallEvent.Builder e = CallEvents.start(Instant.now()).setCloud(cloud).setProvider(provider).setRegion(region)
                .setDeploymentScope(scope).setEndpoint(request.url().host()).setOperation(operation).setRequestModel(model)
                .setStreaming(streaming).setLatencyMs((System.nanoTime() - started) / 1_000_000)
                .setPromptHash(audit.hash(promptText(body)));
        if (failure != null) {
            e.setStatus(CallStatus.error).setErrorType(failure.getClass().getSimpleName());
            audit.record(e.build());
            return response;
        }
        e.setHttpStatus(response.code());
        String requestId = response.header("x-request-id", response.header("apim-request-id"));
        e.setRequestId(requestId);
        if (streaming && response.isSuccessful() && response.body() != null) {
            // Recorded by the stream when it ends, fails or is closed: the body passes through untouched.
            return response.newBuilder().body(OpenAiStream.tap(response.body(), new StreamedCall(audit, e, started), operation)).build();
        }
        JsonNode answer = responseJson(response);
        if (!response.isSuccessful()) {
            JsonNode err = answer.path("error");
            e.setStatus(CallStatus.error).setErrorType(err.path("code").isTextual() ? err.path("code").asText()
                    : err.path("type").asText("http_" + response.code()));
            audit.record(e.build());
            return response;
        }
        if (answer.hasNonNull("model")) {
            e.setResponseModel(answer.get("model").asText());
        }
        if (answer.hasNonNull("id")) {
            e.setRequestId(answer.get("id").asText());
        }
        usage(answer.path("usage"), operation, e);
        e.setResponseHash(audit.hash(responseText(answer)));
        audit.record(e.build());
        return response;
    }

    /** Usage as chat completions, completions and embeddings report it, or as the Responses API does. */
    static void usage(JsonNode usage, Operation operation, LlmCallEvent.Builder e) {
        if (!usage.isObject()) {
            return;
        }
        // Chat/completions/embeddings: prompt_tokens, completion_tokens; Responses API: input_tokens, output_tokens.
        e.setInputTokens(count(usage, "prompt_tokens", "input_tokens"));
        e.setOutputTokens(operation == Operation.embeddings ? Long.valueOf(0) : count(usage, "completion_tokens", "output_tokens"));
        e.setCachedInputTokens(count(usage.path("prompt_tokens_details").isObject() ? usage.path("prompt_tokens_details")
                : usage.path("input_tokens_details"), "cached_tokens", "cached_tokens"));
        e.setReasoningTokens(count(usage.path("completion_tokens_details").isObject() ? usage.path("completion_tokens_details")
                : usage.path("output_tokens_details"), "reasoning_tokens", "reasoning_tokens"));
    }

    private static Long count(JsonNode n, String a, String b) {
        JsonNode v = n.has(a) ? n.get(a) : n.get(b);
        return v != null && v.canConvertToLong() ? v.asLong() : null;
    }

    private static JsonNode requestJson(Request request) {
        try {
            if (request.body() == null) {
                return JSON.createObjectNode();
            }
            Buffer buffer = new Buffer();
            request.body().writeTo(buffer);
            return JSON.readTree(buffer.readByteArray());
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode();
        }
    }

    private static JsonNode responseJson(Response response) {
        try {
            ResponseBody peek = response.peekBody(MAX_PEEK); // a copy: the app still reads the body
            return JSON.readTree(peek.bytes());
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode();
        }
    }

    private static String promptText(JsonNode body) {
        StringBuilder b = new StringBuilder();
        body.path("messages").forEach(m -> ContentText.append(b, m.path("content")));
        ContentText.append(b, body.path("input"));
        ContentText.append(b, body.path("prompt"));
        return ContentText.joined(b);
    }

    private static String responseText(JsonNode answer) {
        StringBuilder b = new StringBuilder();
        answer.path("choices").forEach(c -> {
            ContentText.append(b, c.path("message").path("content"));
            ContentText.append(b, c.path("text"));
        });
        answer.path("output").forEach(o -> ContentText.append(b, o.path("content")));
        return ContentText.joined(b);
    }
}
