package dev.llmaudit.policy.model;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The engine's view of one LLM request/response exchange: the fields policies and prices need,
 * in plain Java types so the engine depends on no serialization or stream library. Absent values
 * are null (unknown), never guessed. Built from the Avro event by {@code dev.llmaudit.policy.avro.LlmCalls}.
 *
 * @param cloud {@code azure}, {@code aws}, {@code gcp}, {@code openai}, {@code anthropic}, {@code other}
 * @param scope explicit deployment scope, or null (then derived, e.g. from a Bedrock profile prefix)
 * @param reportedCost gateway-reported cost amount, or null; currency in {@code reportedCurrency}
 */
public record LlmCall(String eventId, Instant eventTime, String tenant, String app, String team, String environment,
                      String provider, String cloud, String region, Scope scope, String endpoint, String operation,
                      String requestModel, String responseModel, Long inputTokens, Long outputTokens,
                      Long cachedInputTokens, Long reasoningTokens, boolean error, String dataClassification,
                      String dataResidency, BigDecimal reportedCost, String reportedCurrency, Map<String, String> tags) {
    public LlmCall {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(eventTime, "eventTime");
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    /** The model to price and check: what was requested, else what answered. */
    public String model() {
        return requestModel != null ? requestModel : responseModel;
    }

    public long totalTokens() {
        return (inputTokens == null ? 0 : inputTokens) + (outputTokens == null ? 0 : outputTokens);
    }

    /** A builder for tests and adapters. */
    public static Builder builder(String eventId, Instant eventTime) {
        return new Builder(eventId, eventTime);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final String eventId;
        private final Instant eventTime;
        private String tenant, app, team, environment, provider, cloud, region, endpoint, operation, requestModel, responseModel;
        private String dataClassification, dataResidency, reportedCurrency;
        private Scope scope;
        private Long inputTokens, outputTokens, cachedInputTokens, reasoningTokens;
        private boolean error;
        private BigDecimal reportedCost;
        private Map<String, String> tags = Map.of();

        private Builder(String eventId, Instant eventTime) {
            this.eventId = eventId;
            this.eventTime = eventTime;
        }

        public Builder tenant(String v) { tenant = v; return this; }
        public Builder app(String v) { app = v; return this; }
        public Builder team(String v) { team = v; return this; }
        public Builder environment(String v) { environment = v; return this; }
        public Builder provider(String v) { provider = v; return this; }
        public Builder cloud(String v) { cloud = v; return this; }
        public Builder region(String v) { region = v; return this; }
        public Builder scope(Scope v) { scope = v; return this; }
        public Builder endpoint(String v) { endpoint = v; return this; }
        public Builder operation(String v) { operation = v; return this; }
        public Builder requestModel(String v) { requestModel = v; return this; }
        public Builder responseModel(String v) { responseModel = v; return this; }
        public Builder inputTokens(Long v) { inputTokens = v; return this; }
        public Builder outputTokens(Long v) { outputTokens = v; return this; }
        public Builder cachedInputTokens(Long v) { cachedInputTokens = v; return this; }
        public Builder reasoningTokens(Long v) { reasoningTokens = v; return this; }
        public Builder error(boolean v) { error = v; return this; }
        public Builder dataClassification(String v) { dataClassification = v; return this; }
        public Builder dataResidency(String v) { dataResidency = v; return this; }
        public Builder reportedCost(BigDecimal amount, String currency) { reportedCost = amount; reportedCurrency = currency; return this; }
        public Builder tags(Map<String, String> v) { tags = v; return this; }

        public LlmCall build() {
            return new LlmCall(eventId, eventTime, tenant, app, team, environment, provider, cloud, region, scope, endpoint,
                    operation, requestModel, responseModel, inputTokens, outputTokens, cachedInputTokens, reasoningTokens,
                    error, dataClassification, dataResidency, reportedCost, reportedCurrency, tags);
        }
    }
}
