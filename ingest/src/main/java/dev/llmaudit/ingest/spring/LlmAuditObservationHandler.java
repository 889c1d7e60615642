package dev.llmaudit.ingest.spring;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.ingest.aws.BedrockAuditInterceptor;
import dev.llmaudit.ingest.capture.Details;
import dev.llmaudit.ingest.capture.VertexLocations;
import dev.llmaudit.ingest.client.CallEvents;
import dev.llmaudit.ingest.client.LlmAuditClient;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.prompt.Prompt;

/**
 * Records every Spring AI chat call from its observation ({@code gen_ai.client.operation}), for
 * any chat model Spring AI instruments. With Spring Boot, one bean registers it:
 * <pre>
 * &#64;Bean LlmAuditObservationHandler llmAudit(LlmAuditClient audit) { return LlmAuditObservationHandler.create(audit); }
 * </pre>
 * (without Boot: {@code observationRegistry.observationConfig().observationHandler(handler)}).
 *
 * <p>The event is begun when the observation starts, on the caller's thread (so it carries the
 * caller's {@code LlmAuditContext}), and recorded once when it stops: for a stream, after the
 * stream ended, with Spring AI's aggregated answer. Cloud and provider come from the observation's
 * provider; the region where the wire decides it (Azure, Bedrock, Vertex AI) from {@link #region}.
 * Usage is Spring AI's; the OpenAI usage record's cached and reasoning tokens are read when present.
 * A streamed OpenAI call reports usage only with {@code OpenAiChatOptions.streamUsage(true)};
 * without it Spring AI aggregates 0 / 0, which is recorded as unknown (unpriced), never as free.
 * Prompt and response text are only hashed (HMAC), and only when the audit client has a key.
 * Never fails the app's call.
 */
public final class LlmAuditObservationHandler implements ObservationHandler<ChatModelObservationContext> {
    private static final Logger LOG = LoggerFactory.getLogger(LlmAuditObservationHandler.class);

    private final LlmAuditClient audit;
    private final String region;
    private final DeploymentScope scope;

    private LlmAuditObservationHandler(LlmAuditClient audit, String region, DeploymentScope scope) {
        this.audit = Objects.requireNonNull(audit, "audit client");
        this.region = region;
        this.scope = scope;
    }

    public static LlmAuditObservationHandler create(LlmAuditClient audit) {
        return new LlmAuditObservationHandler(audit, null, null);
    }

    /** The region the model's endpoint is in (Azure resource, Bedrock client, Vertex location). */
    public LlmAuditObservationHandler region(String region) {
        return new LlmAuditObservationHandler(audit, region, scope);
    }

    /** The deployment scope where the wire does not say it (an Azure deployment's type). */
    public LlmAuditObservationHandler scope(DeploymentScope scope) {
        return new LlmAuditObservationHandler(audit, region, scope);
    }

    private record Pending(LlmCallEvent.Builder event, long started) {}

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof ChatModelObservationContext;
    }

    @Override
    public void onStart(ChatModelObservationContext context) {
        try {
            Prompt prompt = context.getRequest();
            String model = prompt.getOptions() == null ? null : prompt.getOptions().getModel();
            String provider = context.getOperationMetadata() == null ? null : context.getOperationMetadata().provider();
            LlmCallEvent.Builder e = CallEvents.start(Instant.now()).setOperation(Operation.chat).setRequestModel(model).setRegion(region);
            target(provider, model, e);
            String text = prompt.getInstructions().stream().map(Message::getText).filter(Objects::nonNull).collect(Collectors.joining("\n"));
            e.setPromptHash(audit.hash(text.isEmpty() ? null : text));
            context.put(Pending.class, new Pending(e, System.nanoTime()));
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not begin recording a Spring AI call: {}", ex.toString());
        }
    }

    /** Recorded here only: Micrometer calls onStop after onError too, so each call is recorded once. */
    @Override
    public void onStop(ChatModelObservationContext context) {
        Pending p = context.get(Pending.class);
        if (p == null) {
            return;
        }
        context.remove(Pending.class);
        try {
            LlmCallEvent.Builder e = p.event();
            ChatResponse response = context.getResponse();
            if (context.getError() != null) {
                e.setStatus(CallStatus.error).setErrorType(context.getError().getClass().getSimpleName());
            } else if (response == null) {
                e.setStatus(CallStatus.error).setErrorType("cancelled"); // stopped without an answer or an error: a cancelled stream
            }
            if (response != null && response.getMetadata() != null) {
                e.setRequestId(blankToNull(response.getMetadata().getId())).setResponseModel(blankToNull(response.getMetadata().getModel()));
                usage(response.getMetadata().getUsage(), e);
                String text = response.getResults().stream().map(Generation::getOutput).filter(Objects::nonNull)
                        .map(m -> m.getText()).filter(Objects::nonNull).collect(Collectors.joining("\n"));
                e.setResponseHash(audit.hash(text.isEmpty() ? null : text));
            }
            audit.record(e.setEventTime(Instant.now()).setLatencyMs((System.nanoTime() - p.started()) / 1_000_000).build());
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not record a Spring AI call: {}", ex.toString());
        }
    }

    private static void usage(Usage usage, LlmCallEvent.Builder e) {
        if (usage == null) {
            return;
        }
        Integer in = usage.getPromptTokens();
        Integer out = usage.getCompletionTokens();
        if ((in == null || in == 0) && (out == null || out == 0)) {
            return; // Spring AI's "no usage" (a stream without usage): unknown, not zero
        }
        e.setInputTokens(in == null ? null : in.longValue()).setOutputTokens(out == null ? null : out.longValue());
        Object raw = usage.getNativeUsage();
        // OpenAiApi.Usage (spring-ai-openai, not needed here): promptTokensDetails().cachedTokens(), completionTokenDetails().reasoningTokens().
        e.setCachedInputTokens(Details.asLong(Details.path(raw, "promptTokensDetails", "cachedTokens")));
        e.setReasoningTokens(Details.asLong(Details.path(raw, "completionTokenDetails", "reasoningTokens")));
        Details.anthropicCache(raw, e);
    }

    /** Cloud, provider name and scope from Spring AI's provider id ({@code AiProvider} values). */
    private void target(String provider, String model, LlmCallEvent.Builder e) {
        String p = provider == null ? "" : provider.toLowerCase(Locale.ROOT);
        if (p.equals("openai")) {
            e.setCloud(Cloud.openai).setProvider("openai").setDeploymentScope(scope != null ? scope
                    : region == null ? DeploymentScope.global : DeploymentScope.regional);
        } else if (p.startsWith("azure")) {
            e.setCloud(Cloud.azure).setProvider("azure.ai.openai").setDeploymentScope(scope);
        } else if (p.startsWith("bedrock")) {
            e.setCloud(Cloud.aws).setProvider("aws.bedrock").setDeploymentScope(scope != null ? scope
                    : model == null ? null : BedrockAuditInterceptor.scopeOf(model));
        } else if (p.equals("anthropic")) {
            e.setCloud(Cloud.anthropic).setProvider("anthropic").setDeploymentScope(scope != null ? scope : DeploymentScope.global);
        } else if (p.startsWith("vertex")) {
            e.setCloud(Cloud.gcp).setProvider("gcp.vertex_ai").setDeploymentScope(scope != null ? scope : VertexLocations.scope(region));
        } else if (p.startsWith("google")) {
            e.setCloud(Cloud.gcp).setProvider(region == null ? "gcp.gemini" : "gcp.vertex_ai")
                    .setDeploymentScope(scope != null ? scope : VertexLocations.scope(region));
        } else {
            e.setCloud(Cloud.other).setProvider(provider).setDeploymentScope(scope);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
