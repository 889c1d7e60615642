package dev.llmaudit.rollups;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.Money;
import dev.llmaudit.jobs.ContractMoney;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.SkuMeterUsage;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.policy.catalog.Alternatives;
import dev.llmaudit.policy.engine.PolicyBundle;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Builds the FOCUS-aligned {@link UsageRollup} record of one window from its accumulated totals (pure). */
public final class Rollups {
    /** Separates a too-late event's correction key from its window's rollup key. */
    public static final String CORRECTION_MARK = "#late:";

    /** FOCUS SkuMeter names of the token kinds a rollup counts apart, in {@link RollupAccumulator}'s meter order. */
    public static final java.util.List<String> SKU_METERS = java.util.List.of("Input Tokens", "Cached Input Tokens", "Output Tokens",
            "Reasoning Tokens");

    private static final Map<String, String> SERVICE_NAMES = Map.of(
            "azure", "Azure OpenAI", "aws", "Amazon Bedrock", "gcp", "Vertex AI", "openai", "OpenAI API",
            "anthropic", "Anthropic API");

    private Rollups() {}

    /** The compacted-topic key of a window of a dimension key: stable across revisions and restarts. */
    public static String rollupKey(RollupGranularity granularity, long windowStartMillis, String dimensionKey) {
        return granularity.name() + "|" + Instant.ofEpochMilli(windowStartMillis) + "|" + dimensionKey;
    }

    /** The key of a correction: the window's key plus the late event's id, so each correction is kept. */
    public static String correctionKey(String rollupKey, String eventId) {
        return rollupKey + CORRECTION_MARK + eventId;
    }

    /** The rollup a window (or correction) emitted: final or provisional as the window said. */
    static UsageRollup build(PendingRollup p, PolicyBundle bundle, Instant now) {
        UsageRollup r = build(p.rollupKey, RollupGranularity.valueOf(p.granularity), p.windowStartMillis, p.windowEndMillis, p.totals,
                p.revision, p.correction, bundle, now);
        r.setXIsFinal(p.isFinal);
        return r;
    }

    /**
     * @param key the record key ({@link #rollupKey} or {@link #correctionKey})
     * @param bundle where the counterfactual alternative is looked up (price and region catalogs); null = none
     */
    public static UsageRollup build(String key, RollupGranularity granularity, long windowStartMillis, long windowEndMillis,
                                    RollupAccumulator a, int revision, boolean correction, PolicyBundle bundle, Instant now) {
        if (a.overflowed()) {
            throw new ImpossibleRollup("a count of rollup " + key + " overflowed (more than 9.2e18 tokens or calls in one window);"
                    + " its totals would be wrong, so it is not emitted");
        }
        String currency = a.currency == null ? "USD" : a.currency;
        Map<String, String> tags = new LinkedHashMap<>();
        putIfPresent(tags, "tenant", a.tenant);
        putIfPresent(tags, "team", a.team);
        putIfPresent(tags, "app", a.app);
        putIfPresent(tags, "environment", a.environment);
        UsageRollup.Builder b = UsageRollup.newBuilder()
                .setXRollupKey(key)
                .setXRevision(revision)
                .setXIsCorrection(correction)
                .setXGranularity(granularity)
                .setChargePeriodStart(Instant.ofEpochMilli(windowStartMillis))
                .setChargePeriodEnd(Instant.ofEpochMilli(windowEndMillis))
                .setProviderName(a.provider)
                .setXCloud(a.cloud == null ? null : cloud(a.cloud))
                .setRegionId(a.region)
                .setServiceName(a.cloud == null ? null : SERVICE_NAMES.getOrDefault(a.cloud, a.cloud))
                .setSkuId(a.priceEntries.isEmpty() ? null : String.join(",", a.priceEntries))
                .setXModel(a.model)
                .setXOperation(a.operation == null ? null : operation(a.operation))
                .setXTenant(a.tenant)
                .setXTeam(a.team)
                .setXApp(a.app)
                .setXEnvironment(a.environment)
                .setXRequestCount(a.requests)
                .setXErrorCount(a.errors)
                .setXUnpricedCount(a.unpriced)
                .setXInputTokens(a.inputTokens)
                .setXOutputTokens(a.outputTokens)
                .setXCachedInputTokens(a.cachedInputTokens)
                .setXReasoningTokens(a.reasoningTokens)
                .setConsumedQuantity(a.totalTokens())
                .setConsumedUnit("Tokens")
                .setListCost(money(a.listCost, currency))
                .setContractedCost(money(a.contractedCost, currency))
                .setBilledCost(a.billedCost == null ? null : money(a.billedCost, currency))
                .setBillingCurrency(currency)
                .setXLatencyP50Ms(a.latencyQuantile(0.50))
                .setXLatencyP95Ms(a.latencyQuantile(0.95))
                .setXLatencyP99Ms(a.latencyQuantile(0.99))
                .setTags(tags)
                .setXCatalogVersion(a.catalogVersions.isEmpty() ? null : String.join(",", a.catalogVersions))
                .setXPriceBasis(a.priceBases.isEmpty() ? null : String.join(",", a.priceBases))
                .setXBundleVersions(a.bundleVersions.isEmpty() ? null : String.join(",", a.bundleVersions))
                .setXCounterfactualBundleVersion(bundle == null ? null : bundle.version())
                .setXUpdatedAt(now)
                .setXSkuMeters(a.metersUnknown ? null : meters(a, currency));
        counterfactual(a, windowStartMillis, bundle, currency).ifPresent(alt -> {
            BigDecimal altCost = alt.cost().total();
            if (altCost.compareTo(a.listCost) < 0 && !Alternatives.beyondPrecision(a.listCost, altCost)) {
                // No compliant route is cheaper beyond the catalog's precision: no saving is claimed.
                b.setXCheapestAlternative("the routes used (" + String.join(",", a.priceEntries) + "): " + alt.where()
                        + " is not cheaper beyond the catalog's precision (" + Alternatives.PRECISION_PERCENT + "%)");
                b.setXCheapestAlternativeBasis(String.join(",", a.priceBases));
                b.setXCheapestAlternativeCost(money(a.listCost, currency));
                b.setXPotentialSaving(money(BigDecimal.ZERO, currency));
                return;
            }
            b.setXCheapestAlternative(alt.where() + " [" + alt.entry().id() + "]");
            b.setXCheapestAlternativeBasis(alt.entry().basisText());
            b.setXCheapestAlternativeCost(money(altCost, currency));
            b.setXPotentialSaving(money(a.listCost.subtract(altCost), currency));
        });
        return b.build();
    }

    /**
     * The cheapest catalog offer of the same model that keeps the priced calls' data where every one
     * of them required, priced for exactly the priced calls' tokens at the window start's prices
     * (catalog prices change on day boundaries, so hourly and daily windows never straddle a change).
     */
    static Optional<Alternatives.Alternative> counterfactual(RollupAccumulator a, long windowStartMillis, PolicyBundle bundle,
                                                             String currency) {
        if (bundle == null || a.model == null || a.listCost.signum() == 0 && a.pricedInputTokens + a.pricedOutputTokens == 0) {
            return Optional.empty();
        }
        if (a.requirementUnknown) {
            // Where the data had to stay is unknown for some calls: no compliant route can be claimed.
            return Optional.empty();
        }
        Set<String> requirement = a.residencyRequirement == null ? Set.of() : a.residencyRequirement;
        return Alternatives.cheapest(bundle.prices(), bundle.regions(), a.model, Instant.ofEpochMilli(windowStartMillis),
                        a.pricedInputTokens, a.pricedCachedInputTokens, a.pricedOutputTokens, a.pricedReasoningTokens, requirement, null)
                .filter(alt -> currency.equals(alt.cost().currency()));
    }

    /** Per entry and meter, then the unpriced tokens per meter; meters without tokens or cost left out. */
    private static java.util.List<SkuMeterUsage> meters(RollupAccumulator a, String currency) {
        java.util.List<SkuMeterUsage> meters = new java.util.ArrayList<>();
        a.entryMeters.forEach((entry, m) -> {
            for (int i = 0; i < RollupAccumulator.METERS; i++) {
                if (m.tokens[i] != 0 || m.list[i].signum() != 0 || m.contracted[i].signum() != 0) {
                    meters.add(SkuMeterUsage.newBuilder().setSkuMeter(SKU_METERS.get(i)).setPriceEntry(entry).setConsumedQuantity(m.tokens[i])
                            .setPricingQuantity(m.tokens[i]).setListCost(money(m.list[i], currency))
                            .setContractedCost(money(m.contracted[i], currency)).build());
                }
            }
        });
        for (int i = 0; i < RollupAccumulator.METERS; i++) {
            if (a.unpricedMeterTokens[i] != 0) {
                meters.add(SkuMeterUsage.newBuilder().setSkuMeter(SKU_METERS.get(i)).setPriceEntry(null)
                        .setConsumedQuantity(a.unpricedMeterTokens[i]).setPricingQuantity(0).setListCost(money(BigDecimal.ZERO, currency))
                        .setContractedCost(money(BigDecimal.ZERO, currency)).build());
            }
        }
        return meters;
    }

    static Money money(BigDecimal amount, String currency) {
        try {
            return ContractMoney.of(amount, currency);
        } catch (ContractMoney.Unrepresentable e) {
            throw new ImpossibleRollup(e.getMessage());
        }
    }

    /** A rollup whose totals cannot be represented exactly: dead-lettered instead of emitted wrong. */
    public static final class ImpossibleRollup extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ImpossibleRollup(String message) {
            super(message);
        }
    }

    private static Cloud cloud(String name) {
        try {
            return Cloud.valueOf(name);
        } catch (IllegalArgumentException e) {
            return Cloud.other;
        }
    }

    private static Operation operation(String name) {
        try {
            return Operation.valueOf(name);
        } catch (IllegalArgumentException e) {
            return Operation.other;
        }
    }

    private static void putIfPresent(Map<String, String> tags, String name, String value) {
        if (value != null) {
            tags.put(name, value);
        }
    }
}
