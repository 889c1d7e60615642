package dev.llmaudit.rollups;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * Running totals of one rollup (one window of one dimension key). Mutable on purpose: Flink's heap
 * state updates it in place per event. Serialized by {@link RollupAccumulatorSerializer} (explicit,
 * versioned format; the latency sketch travels as its compact bytes).
 *
 * <p>Counts saturate at {@code Long.MAX_VALUE} instead of wrapping or throwing: with the contract's
 * bounds (10^9 tokens per call) a count overflows only after ~10^10 calls in one window of one key, and
 * if it ever does the rollup is an impossible sum, which {@link #overflowed()} reports so that it is
 * dead-lettered rather than emitted wrong, and no exception restarts the job into the same failure.
 */
@TypeInfo(RollupAccumulatorSerializer.TypeFactory.class)
public final class RollupAccumulator {
    /** KLL accuracy parameter: ~1.3% rank error, a few KB per window at most. */
    static final int SKETCH_K = 200;
    static final int METERS = 4;

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
    /** FOCUS ListCost: the priced calls at list prices (a negotiated call without a list price counts at its own). */
    BigDecimal listCost = BigDecimal.ZERO;
    /** FOCUS ContractedCost: the priced calls at the prices the tenant pays (negotiated where there is one). */
    BigDecimal contractedCost = BigDecimal.ZERO;
    /**
     * Per catalog entry (the SKU price) and SKU meter, in {@link Rollups#SKU_METERS} order (uncached input,
     * cached input, non-reasoning output, reasoning; each token in exactly one): the priced calls' tokens and
     * their list and contracted costs, which add up to {@link #listCost} and {@link #contractedCost}.
     */
    final TreeMap<String, EntryMeters> entryMeters = new TreeMap<>();
    /** Per SKU meter, the tokens of calls without a price. */
    final long[] unpricedMeterTokens = new long[METERS];
    /** True once a priced call's cost could not be split by meter (a negotiated call priced before PricedLlmCall v3). */
    boolean metersUnknown;

    /** One catalog entry's tokens and costs per meter. */
    static final class EntryMeters {
        final long[] tokens = new long[METERS];
        final BigDecimal[] list = zeros();
        final BigDecimal[] contracted = zeros();

        void add(long[] t, BigDecimal[] l, BigDecimal[] c) {
            for (int i = 0; i < METERS; i++) {
                tokens[i] = sum(tokens[i], t[i]);
                list[i] = list[i].add(l[i]);
                contracted[i] = contracted[i].add(c[i]);
            }
        }
    }

    /** Sum of reported costs; null while no call reported one. */
    BigDecimal billedCost;
    /** Null while no call reported a latency. */
    KllDoublesSketch latency;
    final Set<String> priceEntries = new TreeSet<>();
    /** The bases of those entries' prices (published, derived (rule ...), negotiated, corrected). */
    final Set<String> priceBases = new TreeSet<>();
    final Set<String> catalogVersions = new TreeSet<>();
    /** The bundle versions the enforcer judged the calls with. */
    final Set<String> bundleVersions = new TreeSet<>();
    /** True when a priced call's residency requirement is unknown (written before the enforcer recorded it). */
    boolean requirementUnknown;
    /**
     * Jurisdictions every priced call allowed (intersection); null while no priced call had a
     * requirement. Contradictory requirements leave the impossible marker "(none)".
     */
    Set<String> residencyRequirement;

    public RollupAccumulator add(UsageSample s) {
        if (requests == 0) {
            dimensions(s.tenant, s.team, s.app, s.environment, s.cloud, s.region, s.provider, s.model, s.operation, s.currency);
        }
        requests = sum(requests, 1);
        if (s.error) {
            errors = sum(errors, 1);
        }
        if (s.isUnpriced()) {
            unpriced = sum(unpriced, 1);
        }
        inputTokens = sum(inputTokens, s.inputTokens);
        outputTokens = sum(outputTokens, s.outputTokens);
        cachedInputTokens = sum(cachedInputTokens, s.cachedInputTokens);
        reasoningTokens = sum(reasoningTokens, s.reasoningTokens);
        long[] tokens = meterTokens(s);
        if (s.isPriced() && s.cost != null) {
            BigDecimal[] contracted = parts(s.inputCost, s.cachedInputCost, s.outputCost, s.reasoningCost);
            BigDecimal[] list = s.listCost == null ? contracted
                    : parts(s.listInputCost, s.listCachedInputCost, s.listOutputCost, s.listReasoningCost);
            if (contracted == null || list == null || s.priceEntry == null) {
                metersUnknown = true;
            } else {
                entryMeters.computeIfAbsent(s.priceEntry, k -> new EntryMeters()).add(tokens, list, contracted);
            }
            listCost = listCost.add(s.listCost != null ? s.listCost : s.cost);
            contractedCost = contractedCost.add(s.cost);
            pricedInputTokens = sum(pricedInputTokens, s.inputTokens);
            pricedOutputTokens = sum(pricedOutputTokens, s.outputTokens);
            pricedCachedInputTokens = sum(pricedCachedInputTokens, s.cachedInputTokens);
            pricedReasoningTokens = sum(pricedReasoningTokens, s.reasoningTokens);
            if (s.priceEntry != null) {
                priceEntries.add(s.priceEntry);
            }
            if (s.priceBasis != null) {
                priceBases.add(s.priceBasis);
            }
            if (s.residencyRequirement == null) {
                requirementUnknown = true;
            } else if (!s.residencyRequirement.isEmpty()) {
                intersect(s.residencyRequirement);
            }
        } else {
            for (int i = 0; i < METERS; i++) {
                unpricedMeterTokens[i] = sum(unpricedMeterTokens[i], tokens[i]);
            }
        }
        if (s.catalogVersion != null) {
            catalogVersions.add(s.catalogVersion);
        }
        if (s.bundleVersion != null) {
            bundleVersions.add(s.bundleVersion);
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
        requests = sum(requests, o.requests);
        errors = sum(errors, o.errors);
        unpriced = sum(unpriced, o.unpriced);
        inputTokens = sum(inputTokens, o.inputTokens);
        outputTokens = sum(outputTokens, o.outputTokens);
        cachedInputTokens = sum(cachedInputTokens, o.cachedInputTokens);
        reasoningTokens = sum(reasoningTokens, o.reasoningTokens);
        pricedInputTokens = sum(pricedInputTokens, o.pricedInputTokens);
        pricedOutputTokens = sum(pricedOutputTokens, o.pricedOutputTokens);
        pricedCachedInputTokens = sum(pricedCachedInputTokens, o.pricedCachedInputTokens);
        pricedReasoningTokens = sum(pricedReasoningTokens, o.pricedReasoningTokens);
        listCost = listCost.add(o.listCost);
        contractedCost = contractedCost.add(o.contractedCost);
        o.entryMeters.forEach((entry, m) -> entryMeters.computeIfAbsent(entry, k -> new EntryMeters()).add(m.tokens, m.list, m.contracted));
        for (int i = 0; i < METERS; i++) {
            unpricedMeterTokens[i] = sum(unpricedMeterTokens[i], o.unpricedMeterTokens[i]);
        }
        metersUnknown |= o.metersUnknown;
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
        priceBases.addAll(o.priceBases);
        catalogVersions.addAll(o.catalogVersions);
        bundleVersions.addAll(o.bundleVersions);
        requirementUnknown |= o.requirementUnknown;
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

    /** The call's tokens per meter, split as the catalog prices them (cached within input, reasoning within output). */
    static long[] meterTokens(UsageSample s) {
        long cached = Math.min(s.cachedInputTokens, s.inputTokens);
        long reasoning = Math.min(s.reasoningTokens, s.outputTokens);
        return new long[] {s.inputTokens - cached, cached, s.outputTokens - reasoning, reasoning};
    }

    private static BigDecimal[] parts(BigDecimal input, BigDecimal cached, BigDecimal output, BigDecimal reasoning) {
        return input == null || cached == null || output == null || reasoning == null ? null
                : new BigDecimal[] {input, cached, output, reasoning};
    }

    private static BigDecimal[] zeros() {
        BigDecimal[] z = new BigDecimal[METERS];
        java.util.Arrays.fill(z, BigDecimal.ZERO);
        return z;
    }

    /** A saturating sum of non-negative counts. */
    static long sum(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** True when a count reached {@code Long.MAX_VALUE}: the totals are no longer exact. */
    public boolean overflowed() {
        for (long v : new long[] {requests, errors, unpriced, inputTokens, outputTokens, cachedInputTokens, reasoningTokens,
                pricedInputTokens, pricedOutputTokens, pricedCachedInputTokens, pricedReasoningTokens}) {
            if (v == Long.MAX_VALUE) {
                return true;
            }
        }
        for (int i = 0; i < METERS; i++) {
            if (unpricedMeterTokens[i] == Long.MAX_VALUE) {
                return true;
            }
            for (EntryMeters m : entryMeters.values()) {
                if (m.tokens[i] == Long.MAX_VALUE) {
                    return true;
                }
            }
        }
        return false;
    }

    public long requests() {
        return requests;
    }

    public BigDecimal listCost() {
        return listCost;
    }

    public long totalTokens() {
        return sum(inputTokens, outputTokens);
    }

    /** Latency at a quantile (0..1), or null when no call reported one. */
    public Double latencyQuantile(double q) {
        return latency == null || latency.isEmpty() ? null : latency.getQuantile(q);
    }
}
