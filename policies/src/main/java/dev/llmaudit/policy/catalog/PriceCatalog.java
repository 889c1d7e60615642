package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An exact, dated price list. An event is priced at the entry that held at its {@code event_time}
 * (the latest {@code effective_from} not after it), chosen by specificity:
 * region + scope, then data zone, then scope for any region, then any scope. Model names match
 * exactly first, then by canonical name (see {@link ModelNames}).
 */
public final class PriceCatalog {
    private final String version;
    private final String currency;
    private final List<PriceEntry> entries;
    private final Map<String, List<PriceEntry>> byCloudModel = new HashMap<>();
    private final Map<String, List<PriceEntry>> byCloudCanonical = new HashMap<>();
    private final Map<String, List<PriceEntry>> byCanonical = new HashMap<>();

    public PriceCatalog(String version, String currency, Collection<PriceEntry> entries) {
        this.version = version;
        this.currency = currency;
        this.entries = List.copyOf(entries);
        for (PriceEntry e : this.entries) {
            String canonical = ModelNames.canonical(e.model());
            byCloudModel.computeIfAbsent(e.cloud() + '\u0000' + e.model(), k -> new ArrayList<>()).add(e);
            byCloudCanonical.computeIfAbsent(e.cloud() + '\u0000' + canonical, k -> new ArrayList<>()).add(e);
            byCanonical.computeIfAbsent(canonical, k -> new ArrayList<>()).add(e);
        }
    }

    public String version() {
        return version;
    }

    public String currency() {
        return currency;
    }

    public List<PriceEntry> entries() {
        return entries;
    }

    /** Prices the call, given where it was processed (scope and zone from the region catalog). */
    public Pricing price(LlmCall call, ProcessingLocation location) {
        if (call.error() && call.inputTokens() == null && call.outputTokens() == null) {
            return Pricing.noUsage(currency, version);
        }
        String model = call.model();
        if (model == null) {
            return Pricing.unpriced("the event names no model", version);
        }
        if (call.cloud() == null) {
            return Pricing.unpriced("the event names no cloud", version);
        }
        if (call.inputTokens() == null && call.outputTokens() == null) {
            return Pricing.unpriced("token counts unknown", version);
        }
        Optional<PriceEntry> entry = lookup(call.cloud(), model, call.region(), location.scope(), location.zone(), call.eventTime());
        if (entry.isEmpty()) {
            return Pricing.unpriced("no price for " + model + " on " + call.cloud() + " in catalog " + version, version);
        }
        return Pricing.priced(cost(entry.get(), call), entry.get(), version);
    }

    /** The entry that prices this model on this cloud, region and scope at the given time. */
    public Optional<PriceEntry> lookup(String cloud, String model, String region, Scope scope, String zone, Instant at) {
        String base = cloud.equals("aws") ? ModelNames.withoutProfile(model) : model;
        List<PriceEntry> candidates = byCloudModel.get(cloud + '\u0000' + base);
        if (candidates == null) {
            candidates = byCloudCanonical.get(cloud + '\u0000' + ModelNames.canonical(base));
        }
        if (candidates == null) {
            return Optional.empty();
        }
        PriceEntry best = null;
        int bestRank = Integer.MAX_VALUE;
        for (PriceEntry e : candidates) {
            if (e.effectiveInstant().isAfter(at)) {
                continue;
            }
            int rank = rank(e, region, scope, zone);
            if (rank < 0) {
                continue;
            }
            if (rank < bestRank || (rank == bestRank && e.effectiveFrom().isAfter(best.effectiveFrom()))) {
                best = e;
                bestRank = rank;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Lower is more specific; -1 when the entry does not apply. */
    private static int rank(PriceEntry e, String region, Scope scope, String zone) {
        if (e.region() != null && !e.region().equals(region)) {
            return -1;
        }
        if (e.scope() != null && e.scope() != scope) {
            return -1;
        }
        if (e.zone() != null && !e.zone().equals(zone)) {
            return -1;
        }
        if (e.scope() == null) {
            return e.region() != null ? 4 : 5;
        }
        if (e.region() != null) {
            return 0;
        }
        if (e.zone() != null) {
            return 1;
        }
        return scope == Scope.GLOBAL ? 2 : 3;
    }

    /** Exact cost of the call's tokens at the entry's prices. */
    public CostBreakdown cost(PriceEntry e, LlmCall call) {
        return cost(e, nz(call.inputTokens()), nz(call.cachedInputTokens()), nz(call.outputTokens()), nz(call.reasoningTokens()));
    }

    /** Exact cost of the given token counts (cached within input, reasoning within output). */
    public CostBreakdown cost(PriceEntry e, long input, long cached, long output, long reasoning) {
        long uncached = Math.max(0, input - cached);
        long plainOutput = Math.max(0, output - reasoning);
        BigDecimal cachedPrice = e.cachedInputPerMillion() != null ? e.cachedInputPerMillion() : e.inputPerMillion();
        BigDecimal reasoningPrice = e.reasoningPerMillion() != null ? e.reasoningPerMillion() : e.outputPerMillion();
        return new CostBreakdown(
                perMillion(uncached, e.inputPerMillion()),
                perMillion(Math.min(cached, input), cachedPrice),
                perMillion(plainOutput, e.outputPerMillion()),
                perMillion(Math.min(reasoning, output), reasoningPrice),
                currency);
    }

    private static BigDecimal perMillion(long tokens, BigDecimal pricePerMillion) {
        if (tokens == 0) {
            return BigDecimal.ZERO;
        }
        // Exact: multiplying by an integer and dividing by 10^6 never rounds.
        return pricePerMillion.multiply(BigDecimal.valueOf(tokens)).movePointLeft(6);
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    /** Every entry, on any cloud, offering this model (by canonical name) at the given time: the latest version of each coverage. */
    public List<PriceEntry> offers(String model, Instant at) {
        List<PriceEntry> all = byCanonical.getOrDefault(ModelNames.canonical(ModelNames.withoutProfile(model)), List.of());
        List<PriceEntry> current = new ArrayList<>();
        for (PriceEntry e : all) {
            if (e.effectiveInstant().isAfter(at)) {
                continue;
            }
            boolean superseded = all.stream().anyMatch(o -> o != e && o.sameCoverage(e) && !o.effectiveInstant().isAfter(at)
                    && o.effectiveFrom().isAfter(e.effectiveFrom()));
            if (!superseded) {
                current.add(e);
            }
        }
        current.sort(Comparator.comparing(PriceEntry::id));
        return current;
    }
}
