package dev.llmaudit.rollups;

import java.math.BigDecimal;
import java.util.List;

/**
 * One priced LLM call reduced to what the rollups need, or a record that could not be read.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so Flink serializes it without Kryo; Avro
 * types stay at the edges of the job. Either {@link #rejected} is set (and nothing else matters,
 * the record goes to the dead-letter topic) or the usage fields are.
 */
public class UsageSample {
    public String eventId;
    /** Event time in epoch milliseconds (Flink's time unit). */
    public long eventTimeMillis;

    // Rollup dimensions (null when the event did not say).
    public String tenant;
    public String team;
    public String app;
    public String environment;
    public String cloud;
    public String region;
    public String provider;
    public String model;
    public String operation;
    /** Billing currency of this call: its catalog cost's, else its reported cost's, else the job's default. */
    public String currency;

    public boolean error;
    /** priced, unpriced or no_usage (see PricedLlmCall.pricing_status). */
    public String pricingStatus;
    public long inputTokens;
    public long outputTokens;
    public long cachedInputTokens;
    public long reasoningTokens;
    /** -1 when the call did not report a latency. */
    public long latencyMs = -1;
    /** Exact catalog cost (at the tenant's negotiated price where there is one); null unless priced. */
    public BigDecimal cost;
    /** The call at list prices when {@link #cost} is negotiated and the route has a list price; else null (= cost). */
    public BigDecimal listCost;
    /** {@link #cost}'s parts by SKU meter (uncached input, cached input, non-reasoning output, reasoning); null unless priced. */
    public BigDecimal inputCost;
    public BigDecimal cachedInputCost;
    public BigDecimal outputCost;
    public BigDecimal reasoningCost;
    /** {@link #listCost}'s parts by SKU meter, when it is set and the enforcer wrote them (PricedLlmCall v3); else null. */
    public BigDecimal listInputCost;
    public BigDecimal listCachedInputCost;
    public BigDecimal listOutputCost;
    public BigDecimal listReasoningCost;
    /** Gateway-reported cost in {@link #currency}; null when absent or in another currency. */
    public BigDecimal billedCost;
    public String priceEntry;
    /** published, derived (rule id), negotiated, corrected; null unless priced. */
    public String priceBasis;
    public String catalogVersion;
    /**
     * Jurisdictions the call's data had to stay in (sorted), as the enforcer decided; empty = no requirement;
     * null = unknown (a record written before the enforcer recorded it): no counterfactual is claimed then.
     */
    public List<String> residencyRequirement = List.of();
    /** The policy bundle version the enforcer judged the call with. */
    public String bundleVersion;

    /** {@link UsageSamples#dimensionKey} of the fields above, computed once; null for rejected records. */
    public String dimensionKey;

    /** Set when the Kafka record could not be decoded; the record then goes to the dead-letter topic. */
    public Rejected rejected;

    public UsageSample() {}

    public boolean isRejected() {
        return rejected != null;
    }

    public boolean isPriced() {
        return "priced".equals(pricingStatus);
    }

    public boolean isUnpriced() {
        return "unpriced".equals(pricingStatus);
    }

    /** A Kafka record that could not be turned into a sample, with where it came from. */
    public static class Rejected {
        public String stage;
        public String errorClass;
        public String errorMessage;
        public String topic;
        public int partition;
        public long offset;
        public byte[] key;
        public byte[] value;

        public Rejected() {}
    }
}
