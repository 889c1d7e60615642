package dev.llmaudit.rollups;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * Running totals of one rollup (one window of one dimension key). Mutable on purpose: Flink's heap
 * state updates it in place per event. Serialized by {@link RollupAccumulatorSerializer} (explicit,
 * versioned format; the latency sketch travels as its compact bytes).
 */
@TypeInfo(RollupAccumulatorSerializer.TypeFactory.class)
public final class RollupAccumulator {
    /** KLL accuracy parameter: ~1.3% rank error, a few KB per window at most. */
    static final int SKETCH_K = 200;

    // Dimensions, from the first sample (all samples of one key share them).
    String tenant;
    String team;
    String app;
    String environment;
    String cloud;
    String region;
    String provider;
    String model;
    String operation;
    String currency;

    long requests;
    long errors;
    long unpriced;
    long inputTokens;
    long outputTokens;
    long cachedInputTokens;
    long reasoningTokens;
    /** Tokens of the priced calls only: the counterfactual prices exactly what ListCost priced. */
    long pricedInputTokens;
    long pricedOutputTokens;
    long pricedCachedInputTokens;
    long pricedReasoningTokens;
    BigDecimal listCost = BigDecimal.ZERO;
    /** Sum of reported costs; null while no call reported one. */
    BigDecimal billedCost;
    /** Null while no call reported a latency. */
    KllDoublesSketch latency;
    final Set<String> priceEntries = new TreeSet<>();
    final Set<String> catalogVersions = new TreeSet<>();
    /**
     * Jurisdictions every priced call allowed (intersection); null while no priced call had a
     * requirement. Contradictory requirements leave the impossible marker "(none)".
     */
    Set<String> residencyRequirement;

    public RollupAccumulator add(UsageSample s) {
        if (requests == 0) {
            dimensions(s.tenant, s.team, s.app, s.environment, s.cloud, s.region, s.provider, s.model, s.operation, s.currency);
        }
        requests++;
        if (s.error) {
            errors++;
        }
        if (s.isUnpriced()) {
            unpriced++;
        }
        inputTokens += s.inputTokens;
        outputTokens += s.outputTokens;
        cachedInputTokens += s.cachedInputTokens;
        reasoningTokens += s.reasoningTokens;
        if (s.isPriced() && s.cost != null) {
            listCost = listCost.add(s.cost);
            pricedInputTokens += s.inputTokens;
            pricedOutputTokens += s.outputTokens;
            pricedCachedInputTokens += s.cachedInputTokens;
            pricedReasoningTokens += s.reasoningTokens;
            if (s.priceEntry != null) {
                priceEntries.add(s.priceEntry);
            }
            if (!s.residencyRequirement.isEmpty()) {
                intersect(s.residencyRequirement);
            }
        }
        if (s.catalogVersion != null) {
            catalogVersions.add(s.catalogVersion);
        }
        if (s.billedCost != null) {
            billedCost = billedCost == null ? s.billedCost : billedCost.add(s.billedCost);
        }
        if (s.latencyMs >= 0) {
            if (latency == null) {
                latency = KllDoublesSketch.newHeapInstance(SKETCH_K);
            }
            latency.update(s.latencyMs);
        }
        return this;
    }

    /** Folds another accumulator of the same key into this one (sketches merge exactly as KLL allows). */
    public RollupAccumulator merge(RollupAccumulator o) {
        if (o.requests == 0) {
            return this;
        }
        if (requests == 0) {
            dimensions(o.tenant, o.team, o.app, o.environment, o.cloud, o.region, o.provider, o.model, o.operation, o.currency);
        }
        requests += o.requests;
        errors += o.errors;
        unpriced += o.unpriced;
        inputTokens += o.inputTokens;
        outputTokens += o.outputTokens;
        cachedInputTokens += o.cachedInputTokens;
        reasoningTokens += o.reasoningTokens;
        pricedInputTokens += o.pricedInputTokens;
        pricedOutputTokens += o.pricedOutputTokens;
        pricedCachedInputTokens += o.pricedCachedInputTokens;
        pricedReasoningTokens += o.pricedReasoningTokens;
        listCost = listCost.add(o.listCost);
        if (o.billedCost != null) {
            billedCost = billedCost == null ? o.billedCost : billedCost.add(o.billedCost);
        }
        if (o.latency != null) {
            if (latency == null) {
                latency = KllDoublesSketch.newHeapInstance(SKETCH_K);
            }
            latency.merge(o.latency);
        }
        priceEntries.addAll(o.priceEntries);
        catalogVersions.addAll(o.catalogVersions);
        if (o.residencyRequirement != null) {
            intersect(o.residencyRequirement);
        }
        return this;
    }

    private void dimensions(String tenant, String team, String app, String environment, String cloud, String region, String provider,
                            String model, String operation, String currency) {
        this.tenant = tenant;
        this.team = team;
        this.app = app;
        this.environment = environment;
        this.cloud = cloud;
        this.region = region;
        this.provider = provider;
        this.model = model;
        this.operation = operation;
        this.currency = currency;
    }

    private void intersect(java.util.Collection<String> allowed) {
        if (residencyRequirement == null) {
            residencyRequirement = new TreeSet<>(allowed);
            return;
        }
        residencyRequirement.retainAll(new HashSet<>(allowed));
        if (residencyRequirement.isEmpty()) {
            residencyRequirement.add("(none)");
        }
    }

    public long requests() {
        return requests;
    }

    public BigDecimal listCost() {
        return listCost;
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /** Latency at a quantile (0..1), or null when no call reported one. */
    public Double latencyQuantile(double q) {
        return latency == null || latency.isEmpty() ? null : latency.getQuantile(q);
    }
}
