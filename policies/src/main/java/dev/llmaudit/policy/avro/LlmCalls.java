package dev.llmaudit.policy.avro;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;

/** Adapter from the Avro event contract to the engine's {@link LlmCall}; the only place the two meet. */
public final class LlmCalls {
    static {
        // Building records resolves generated enum classes by name; Avro 1.12 must trust them first.
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses();
    }

    private LlmCalls() {}

    public static LlmCall from(LlmCallEvent e) {
        LlmCall.Builder b = LlmCall.builder(e.getEventId(), e.getEventTime())
                .tenant(e.getTenant()).app(e.getApp()).team(e.getTeam()).environment(e.getEnvironment())
                .provider(e.getProvider())
                .cloud(e.getCloud() == null ? null : e.getCloud().name())
                .region(e.getRegion())
                .scope(e.getDeploymentScope() == null ? null : Scope.parse(e.getDeploymentScope().name()))
                .endpoint(e.getEndpoint())
                .operation(e.getOperation() == null ? null : e.getOperation().name())
                .requestModel(e.getRequestModel()).responseModel(e.getResponseModel())
                .inputTokens(e.getInputTokens()).outputTokens(e.getOutputTokens())
                .cachedInputTokens(e.getCachedInputTokens()).reasoningTokens(e.getReasoningTokens())
                .error(e.getStatus() == CallStatus.error)
                .dataClassification(e.getDataClassification()).dataResidency(e.getDataResidency())
                .tags(e.getTags());
        if (e.getReportedCost() != null) {
            b.reportedCost(e.getReportedCost().getAmount().stripTrailingZeros(), e.getReportedCost().getCurrency());
        }
        return b.build();
    }
}
