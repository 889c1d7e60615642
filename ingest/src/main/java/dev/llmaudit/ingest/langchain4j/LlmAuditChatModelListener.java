package dev.llmaudit.ingest.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
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
import java.time.Instant;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every chat call a LangChain4j model makes, as a {@link ChatModelListener}:
 * <pre>
 * ChatModel model = OpenAiChatModel.builder().apiKey(key).modelName("gpt-5.5")
 *     .listeners(List.of(LlmAuditChatModelListener.create(auditClient)))
 *     .build();
 * </pre>
 * The event is begun in {@code onRequest}, on the caller's thread, so it carries the caller's
 * {@code LlmAuditContext} even when the answer (a stream) ends on another thread; it is recorded
 * once, in {@code onResponse} or {@code onError}. The cloud and provider come from the model's
 * {@link ModelProvider}; where the wire decides the region (Azure, Bedrock, Vertex AI), give it
 * with {@link #region} (and for Azure {@link #scope}). Usage is LangChain4j's {@link TokenUsage};
 * OpenAI's subclass also carries cached and reasoning tokens, read when present. A listener sees
 * no chunks: a streamed call has no time to first token here (the SDK-level captures measure it).
 * Prompt and response text are only hashed (HMAC), and only when the audit client has a key.
 * Never fails the app's call.
 */
public final class LlmAuditChatModelListener implements ChatModelListener {
    private static final Logger LOG = LoggerFactory.getLogger(LlmAuditChatModelListener.class);
    /** The attribute under which a request's pending event waits for its answer. */
    private static final Object PENDING = new Object();

    private final LlmAuditClient audit;
    private final String region;
    private final DeploymentScope scope;

    private LlmAuditChatModelListener(LlmAuditClient audit, String region, DeploymentScope scope) {
        this.audit = Objects.requireNonNull(audit, "audit client");
        this.region = region;
        this.scope = scope;
    }

    public static LlmAuditChatModelListener create(LlmAuditClient audit) {
        return new LlmAuditChatModelListener(audit, null, null);
    }

    /** The region the model's endpoint is in (Azure resource, Bedrock client, Vertex location). */
    public LlmAuditChatModelListener region(String region) {
        return new LlmAuditChatModelListener(audit, region, scope);
    }

    /** The deployment scope where the wire does not say it (an Azure deployment's type). */
    public LlmAuditChatModelListener scope(DeploymentScope scope) {
        return new LlmAuditChatModelListener(audit, region, scope);
    }

    private record Pending(LlmCallEvent.Builder event, long started) {}

    @Override
    public void onRequest(ChatModelRequestContext context) {
        try {
            ChatRequest request = context.chatRequest();
            String model = request.modelName();
            Target t = target(context.modelProvider(), model);
            LlmCallEvent.Builder e = CallEvents.start(Instant.now()).setCloud(t.cloud()).setProvider(t.provider()).setRegion(t.region())
                    .setDeploymentScope(t.scope()).setOperation(Operation.chat).setRequestModel(model)
                    .setPromptHash(audit.hash(text(request)));
            context.attributes().put(PENDING, new Pending(e, System.nanoTime()));
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not begin recording a LangChain4j call: {}", ex.toString());
        }
    }

    @Override
    public void onResponse(ChatModelResponseContext context) {
        Pending p = (Pending) context.attributes().remove(PENDING);
        if (p == null) {
            return;
        }
        try {
            ChatResponse response = context.chatResponse();
            LlmCallEvent.Builder e = p.event();
            e.setResponseModel(response.modelName()).setRequestId(response.id());
            TokenUsage usage = response.tokenUsage();
            if (usage != null) {
                e.setInputTokens(Details.asLong(usage.inputTokenCount())).setOutputTokens(Details.asLong(usage.outputTokenCount()));
                // OpenAiTokenUsage (langchain4j-open-ai, not needed here): inputTokensDetails().cachedTokens(), outputTokensDetails().reasoningTokens().
                e.setCachedInputTokens(Details.asLong(Details.path(usage, "inputTokensDetails", "cachedTokens")));
                e.setReasoningTokens(Details.asLong(Details.path(usage, "outputTokensDetails", "reasoningTokens")));
                Details.anthropicCache(usage, e);
            }
            if (response.aiMessage() != null) {
                e.setResponseHash(audit.hash(response.aiMessage().text()));
            }
            record(e, p.started());
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not record a LangChain4j call: {}", ex.toString());
        }
    }

    @Override
    public void onError(ChatModelErrorContext context) {
        Pending p = (Pending) context.attributes().remove(PENDING);
        if (p == null) {
            return;
        }
        try {
            Throwable error = context.error();
            record(p.event().setStatus(CallStatus.error).setErrorType(error == null ? "error" : error.getClass().getSimpleName()), p.started());
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not record a failed LangChain4j call: {}", ex.toString());
        }
    }

    private void record(LlmCallEvent.Builder e, long started) {
        audit.record(e.setEventTime(Instant.now()).setLatencyMs((System.nanoTime() - started) / 1_000_000).build());
    }

    private record Target(Cloud cloud, String provider, String region, DeploymentScope scope) {}

    private Target target(ModelProvider provider, String model) {
        if (provider == null) {
            return new Target(Cloud.other, null, region, scope);
        }
        return switch (provider) {
            case OPEN_AI -> new Target(Cloud.openai, "openai", region, scope != null ? scope
                    : region == null ? DeploymentScope.global : DeploymentScope.regional);
            case AZURE_OPEN_AI, MICROSOFT_FOUNDRY -> new Target(Cloud.azure, "azure.ai.openai", region, scope);
            case AMAZON_BEDROCK -> new Target(Cloud.aws, "aws.bedrock", region, scope != null ? scope
                    : model == null ? null : BedrockAuditInterceptor.scopeOf(model));
            case ANTHROPIC -> new Target(Cloud.anthropic, "anthropic", region, scope != null ? scope : DeploymentScope.global);
            case GOOGLE_AI_GEMINI, GOOGLE_GENAI -> new Target(Cloud.gcp, "gcp.gemini", region, scope != null ? scope : DeploymentScope.global);
            case GOOGLE_VERTEX_AI_GEMINI, GOOGLE_VERTEX_AI_ANTHROPIC -> new Target(Cloud.gcp, "gcp.vertex_ai", region,
                    scope != null ? scope : VertexLocations.scope(region));
            default -> new Target(Cloud.other, provider.name().toLowerCase(java.util.Locale.ROOT), region, scope);
        };
    }

    /** The messages' text, one per line, as the SDK-level captures hash the same messages. */
    private static String text(ChatRequest request) {
        String joined = request.messages().stream().map(LlmAuditChatModelListener::text).filter(Objects::nonNull)
                .collect(Collectors.joining("\n"));
        return joined.isEmpty() ? null : joined;
    }

    private static String text(ChatMessage m) {
        if (m instanceof UserMessage u) {
            String t = u.contents().stream().filter(TextContent.class::isInstance).map(c -> ((TextContent) c).text())
                    .collect(Collectors.joining("\n"));
            return t.isEmpty() ? null : t;
        }
        if (m instanceof SystemMessage s) {
            return s.text();
        }
        if (m instanceof AiMessage a) {
            return a.text();
        }
        if (m instanceof ToolExecutionResultMessage r) {
            return r.text();
        }
        return null;
    }
}
