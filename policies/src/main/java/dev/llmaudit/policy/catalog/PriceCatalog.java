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
 *
 * <p>Entries of the bundle's overlay come first, whatever their specificity: a tenant's negotiated
 * price, then negotiated prices for every tenant, then corrections, then the imported list prices
 * (published or derived by a scope rule). An entry prices only the scope it names: there is no
 * fallback to another scope's price (an entry with no scope, {@code any}, is one the source publishes
 * for every scope). Price checks and counterfactuals compare list prices only, like with like.
 */
public final class PriceCatalog {
    private final String version;
    private final String currency;
    private final List<PriceEntry> entries;
    /** By identity: entries are records whose hashCode walks every component. */
    private final Map<PriceEntry, Integer> idRank = new java.util.IdentityHashMap<>();
    /** An entry with its start as epoch seconds, so lookups compare longs. */
    private record Candidate(PriceEntry entry, long fromEpochSecond) {}

    private final Map<String, Map<String, List<Candidate>>> byCloudModel = new HashMap<>();
    private final Map<String, Map<String, List<Candidate>>> byCloudCanonical = new HashMap<>();
    private final Map<String, List<PriceEntry>> byCanonical = new HashMap<>();
    /** Prices in 10^-9 of the currency per million tokens (= 10^-15 per token), when exactly representable; identity-keyed, read-only. */
    private final Map<PriceEntry, long[]> nanoPrices = new java.util.IdentityHashMap<>();
    /** Offers by (model name as called, UTC day): prices change at day boundaries (effective_from is a date). */
    private final Map<OffersKey, Offers> offersCache = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int OFFERS_CACHE_LIMIT = 10_000;

    private record OffersKey(String model, long epochDay) {}

    /**
     * The offers of one model on one day, and per residency requirement the compliant ones worth
     * comparing (computed once; a price check or counterfactual then only multiplies tokens by prices).
     */
    static final class Offers {
        final List<PriceEntry> all;
        /**
         * Per cloud, the regions with a price of their own for the model: an entry without a region
         * (a scope's price "anywhere else") does not price them, so it is never offered there.
         */
        final Map<String, java.util.Set<String>> ownPriceRegions;
        private final Map<java.util.Set<String>, Candidates> byRequirement = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile RegionCatalog regions;

        Offers(List<PriceEntry> all) {
            this.all = all;
            Map<String, java.util.Set<String>> own = new HashMap<>();
            for (PriceEntry e : all) {
                if (e.region() != null) {
                    own.computeIfAbsent(e.cloud(), k -> new java.util.HashSet<>()).add(e.region());
                }
            }
            own.replaceAll((k, v) -> java.util.Set.copyOf(v));
            this.ownPriceRegions = Map.copyOf(own);
        }

        java.util.Set<String> ownPriceRegions(String cloud) {
            return ownPriceRegions.getOrDefault(cloud, java.util.Set.of());
        }

        Candidates candidates(java.util.Set<String> requirement, RegionCatalog regionCatalog, PriceCatalog prices) {
            if (regions == null) {
                regions = regionCatalog;
            }
            if (regions != regionCatalog) { // another bundle's regions: correct, just not cached
                return Candidates.of(this, requirement, regionCatalog, prices);
            }
            Candidates c = byRequirement.get(requirement);
            if (c == null) {
                c = Candidates.of(this, requirement, regionCatalog, prices);
                if (byRequirement.size() < 1_000) {
                    byRequirement.put(requirement, c);
                }
            }
            return c;
        }
    }

    /**
     * The compliant offers in id order ({@code compliant}), and the subset that can be the cheapest for
     * some token mix ({@code frontier}): an offer is left out when another compliant offer costs no
     * more per token of every kind and comes first in id order, since it then wins for any tokens,
     * ties included. Offers whose prices are not exact in 10^-15 units are never left out.
     */
    static final class Candidates {
        final PriceEntry[] compliant;
        final PriceEntry[] frontier;
        final long[][] frontierNanos;
        final int[] frontierRanks;
        /** Per frontier member: the candidates without it (for checks that exclude the offer used); filled on demand. */
        private final Candidates[] without;

        private Candidates(List<PriceEntry> compliant, PriceCatalog prices) {
            List<PriceEntry> kept = new ArrayList<>();
            for (PriceEntry e : compliant) {
                long[] pe = prices.nanoPrices.get(e);
                boolean dominated = false;
                for (PriceEntry d : compliant) {
                    long[] pd = prices.nanoPrices.get(d);
                    if (d != e && exact(pd) && exact(pe) && prices.idRank(d) < prices.idRank(e)
                            && pd[0] <= pe[0] && pd[1] <= pe[1] && pd[2] <= pe[2] && pd[3] <= pe[3]) {
                        dominated = true;
                        break;
                    }
                }
                if (!dominated) {
                    kept.add(e);
                }
            }
            this.compliant = compliant.toArray(new PriceEntry[0]);
            this.frontier = kept.toArray(new PriceEntry[0]);
            this.frontierNanos = kept.stream().map(prices.nanoPrices::get).toArray(long[][]::new);
            this.frontierRanks = kept.stream().mapToInt(prices::idRank).toArray();
            this.without = new Candidates[frontier.length];
        }

        static Candidates of(Offers offers, java.util.Set<String> requirement, RegionCatalog regions, PriceCatalog prices) {
            List<PriceEntry> compliant = new ArrayList<>();
            for (PriceEntry e : offers.all) {
                if (Alternatives.compliant(regions, e, requirement, offers.ownPriceRegions(e.cloud()))) {
                    compliant.add(e);
                }
            }
            return new Candidates(compliant, prices);
        }

        /** The offers to compare when {@code exclude} (the offer actually used, or null) is not an alternative. */
        Candidates excluding(PriceEntry exclude, PriceCatalog prices) {
            for (int i = 0; i < frontier.length; i++) {
                if (frontier[i] == exclude) {
                    // It may be what made others not worth comparing: recompute without it (immutable; a race only recomputes).
                    Candidates c = without[i];
                    if (c == null) {
                        List<PriceEntry> rest = new ArrayList<>(java.util.Arrays.asList(compliant));
                        rest.remove(exclude);
                        c = new Candidates(rest, prices);
                        without[i] = c;
                    }
                    return c;
                }
            }
            return this; // not among the candidates anyway
        }

        private static boolean exact(long[] p) {
            return p[0] >= 0 && p[1] >= 0 && p[2] >= 0 && p[3] >= 0;
        }
    }

    private final Map<String, ScopeRule> rules;

    public PriceCatalog(String version, String currency, Collection<PriceEntry> entries) {
        this(version, currency, entries, List.of());
    }

    /** @param rules the scope rules the catalog's derived entries name (for explanations) */
    public PriceCatalog(String version, String currency, Collection<PriceEntry> entries, Collection<ScopeRule> rules) {
        this.version = version;
        this.currency = currency;
        this.entries = List.copyOf(entries);
        Map<String, ScopeRule> ruleById = new java.util.LinkedHashMap<>();
        rules.forEach(r -> ruleById.put(r.id(), r));
        this.rules = java.util.Collections.unmodifiableMap(ruleById);
        List<PriceEntry> byId = new ArrayList<>(this.entries);
        byId.sort(java.util.Comparator.comparing(PriceEntry::id));
        for (int i = 0; i < byId.size(); i++) {
            idRank.put(byId.get(i), i);
        }
        for (PriceEntry e : this.entries) {
            String canonical = ModelNames.canonical(e.model());
            Candidate candidate = new Candidate(e, e.effectiveInstant().getEpochSecond());
            byCloudModel.computeIfAbsent(e.cloud(), k -> new HashMap<>()).computeIfAbsent(e.model(), k -> new ArrayList<>()).add(candidate);
            byCloudCanonical.computeIfAbsent(e.cloud(), k -> new HashMap<>()).computeIfAbsent(canonical, k -> new ArrayList<>()).add(candidate);
            byCanonical.computeIfAbsent(canonical, k -> new ArrayList<>()).add(e);
            nanoPrices.put(e, new long[] {nano(e.inputPerMillion()), nano(e.cachedInputPerMillion() != null ? e.cachedInputPerMillion() : e.inputPerMillion()),
                    nano(e.outputPerMillion()), nano(e.reasoningPerMillion() != null ? e.reasoningPerMillion() : e.outputPerMillion())});
        }
    }

    /**
     * The entry's position in id order: comparing ranks orders entries exactly as comparing their ids,
     * without building the id strings (ties between equally cheap offers are broken by id).
     */
    public int idRank(PriceEntry e) {
        Integer r = idRank.get(e);
        return r != null ? r : Integer.MAX_VALUE;
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

    /** The scope rules behind derived entries, by id. */
    public Map<String, ScopeRule> rules() {
        return rules;
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
        Optional<PriceEntry> entry = lookup(call.cloud(), model, call.region(), location.scope(), location.zone(), call.eventTime(),
                call.tenant(), true);
        String answering = call.responseModel();
        if (entry.isEmpty() && "azure".equals(call.cloud()) && answering != null && !answering.equals(model)) {
            // An Azure deployment is named by its owner ("claims-gpt55"); the response names the model behind it.
            // Azure only: elsewhere the request names the model, and an unpriced model claiming a cheap answer stays unpriced.
            Optional<PriceEntry> byAnswer = lookup(call.cloud(), answering, call.region(), location.scope(), location.zone(),
                    call.eventTime(), call.tenant(), true);
            if (byAnswer.isPresent()) {
                entry = byAnswer;
                model = answering;
            }
        }
        if (entry.isEmpty()) {
            String where = location.scope() == null ? "" : " " + location.scope().id()
                    + (location.zone() != null ? " (data zone " + location.zone() + ")" : call.region() != null ? " in " + call.region() : "");
            String names = answering != null && !answering.equals(model) ? model + " (answered by " + answering + ")" : model;
            return Pricing.unpriced("no price for " + names + " on " + call.cloud() + where + " in catalog " + version
                    + " (no published price and no scope rule for that scope)", version);
        }
        if (entry.get().basis() == PriceBasis.NEGOTIATED) {
            CostBreakdown list = lookup(call.cloud(), model, call.region(), location.scope(), location.zone(), call.eventTime(), null, false)
                    .map(e -> cost(e, call)).orElse(null);
            return Pricing.negotiated(cost(entry.get(), call), entry.get(), version, list);
        }
        return Pricing.priced(cost(entry.get(), call), entry.get(), version);
    }

    /** The list-price entry (no overlay) that prices this model on this cloud, region and scope at the given time. */
    public Optional<PriceEntry> lookup(String cloud, String model, String region, Scope scope, String zone, Instant at) {
        return lookup(cloud, model, region, scope, zone, at, null, false);
    }

    /**
     * The entry that prices this model on this cloud, region and scope at the given time.
     *
     * @param tenant the call's tenant (for negotiated prices), or null
     * @param negotiated whether negotiated prices may apply (false: list prices only, for comparisons)
     */
    public Optional<PriceEntry> lookup(String cloud, String model, String region, Scope scope, String zone, Instant at, String tenant,
                                       boolean negotiated) {
        return Optional.ofNullable(explain(cloud, model, region, scope, zone, at, tenant, negotiated).chosen());
    }

    /** What {@link #lookup} considered: the chosen entry, and every other entry of the model that applied (ranked) or not. */
    public record Explanation(PriceEntry chosen, List<PriceEntry> applied, List<PriceEntry> notApplying) {}

    /** The lookup with its losers, for {@code llm-audit prices explain}. */
    public Explanation explain(String cloud, String model, String region, Scope scope, String zone, Instant at, String tenant,
                               boolean negotiated) {
        String base = cloud.equals("aws") ? ModelNames.withoutProfile(model) : model;
        List<Candidate> candidates = byCloudModel.getOrDefault(cloud, Map.of()).get(base);
        if (candidates == null) {
            candidates = byCloudCanonical.getOrDefault(cloud, Map.of()).get(ModelNames.canonical(base));
        }
        if (candidates == null) {
            return new Explanation(null, List.of(), List.of());
        }
        long now = at.getEpochSecond();
        PriceEntry best = null;
        int bestRank = Integer.MAX_VALUE;
        List<PriceEntry> applied = new ArrayList<>();
        List<PriceEntry> notApplying = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            PriceEntry e = c.entry();
            if (c.fromEpochSecond() > now || !tierApplies(e, tenant, negotiated)) {
                notApplying.add(e); // not yet in force, or another tenant's (or no) negotiated price
                continue;
            }
            int rank = rank(e, region, scope, zone);
            if (rank < 0) {
                notApplying.add(e);
                continue;
            }
            rank += 10 * tier(e);
            applied.add(e);
            if (rank < bestRank || (rank == bestRank && e.effectiveFrom().isAfter(best.effectiveFrom()))) {
                best = e;
                bestRank = rank;
            }
        }
        applied.remove(best);
        return new Explanation(best, applied, notApplying);
    }

    private static boolean tierApplies(PriceEntry e, String tenant, boolean negotiated) {
        if (e.basis() != PriceBasis.NEGOTIATED) {
            return true;
        }
        return negotiated && (e.tenant() == null || e.tenant().equals(tenant));
    }

    /** Overlay before list prices: a tenant's negotiated price, negotiated for all, corrected, then published or derived. */
    private static int tier(PriceEntry e) {
        return switch (e.basis()) {
            case NEGOTIATED -> e.tenant() != null ? 0 : 1;
            case CORRECTED -> 2;
            default -> 3;
        };
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
        long[] p = nanoPrices.get(e);
        if (p != null && p[0] >= 0 && p[1] >= 0 && p[2] >= 0 && p[3] >= 0) {
            // Integer fast path, still exact: femto-units (10^-15) then one BigDecimal per component.
            long c = Math.min(cached, input);
            long r = Math.min(reasoning, output);
            try {
                return new CostBreakdown(femto(Math.multiplyExact(Math.max(0, input - c), p[0])), femto(Math.multiplyExact(c, p[1])),
                        femto(Math.multiplyExact(Math.max(0, output - r), p[2])), femto(Math.multiplyExact(r, p[3])), currency);
            } catch (ArithmeticException overflow) {
                // fall through to the BigDecimal path
            }
        }
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

    private static BigDecimal femto(long units) {
        return units == 0 ? BigDecimal.ZERO : BigDecimal.valueOf(units, 15);
    }

    private static long nano(BigDecimal perMillion) {
        try {
            return perMillion.movePointRight(9).longValueExact();
        } catch (ArithmeticException e) {
            return -1; // more than 9 decimals or too large: the exact BigDecimal path is used instead
        }
    }

    /**
     * Exact cost in 10^-15 currency units using integer arithmetic, or -1 when a price has more than
     * 9 decimals per million tokens or the product would overflow (callers then use {@link #cost}).
     */
    public long femtoCost(PriceEntry e, long input, long cached, long output, long reasoning) {
        return femtoCost(nanoPrices.get(e), input, cached, output, reasoning);
    }

    static long femtoCost(long[] p, long input, long cached, long output, long reasoning) {
        if (p == null || p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0) {
            return -1;
        }
        long c = Math.min(cached, input);
        long r = Math.min(reasoning, output);
        try {
            return Math.addExact(Math.addExact(Math.multiplyExact(input - c, p[0]), Math.multiplyExact(c, p[1])),
                    Math.addExact(Math.multiplyExact(output - r, p[2]), Math.multiplyExact(r, p[3])));
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /** Every entry, on any cloud, offering this model (by canonical name) at the given time: the latest version of each coverage. */
    public List<PriceEntry> offers(String model, Instant at) {
        return offerSet(model, at).all;
    }

    Offers offerSet(String model, Instant at) {
        OffersKey key = new OffersKey(model, Math.floorDiv(at.getEpochSecond(), 86_400L));
        Offers cached = offersCache.get(key);
        if (cached != null) {
            return cached;
        }
        // The day's start: every offer effective that day counts (effective_from is a date).
        Offers computed = new Offers(computeOffers(ModelNames.canonical(ModelNames.withoutProfile(model)),
                Instant.ofEpochSecond(key.epochDay() * 86_400L)));
        if (offersCache.size() < OFFERS_CACHE_LIMIT) {
            offersCache.put(key, computed);
        }
        return computed;
    }

    /**
     * List offers only (no negotiated prices): what anyone would pay on each route. A correction
     * replaces the published entry of the same coverage.
     */
    private List<PriceEntry> computeOffers(String canonical, Instant at) {
        List<PriceEntry> all = byCanonical.getOrDefault(canonical, List.of());
        List<PriceEntry> current = new ArrayList<>();
        for (PriceEntry e : all) {
            if (e.effectiveInstant().isAfter(at) || e.basis() == PriceBasis.NEGOTIATED) {
                continue;
            }
            boolean superseded = all.stream().anyMatch(o -> o != e && o.sameCoverage(e) && !o.effectiveInstant().isAfter(at)
                    && o.effectiveFrom().isAfter(e.effectiveFrom()));
            boolean corrected = e.basis() != PriceBasis.CORRECTED && all.stream().anyMatch(o -> o.basis() == PriceBasis.CORRECTED
                    && o.cloud().equals(e.cloud()) && o.model().equals(e.model()) && java.util.Objects.equals(o.region(), e.region())
                    && o.scope() == e.scope() && java.util.Objects.equals(o.zone(), e.zone()) && !o.effectiveInstant().isAfter(at));
            if (!superseded && !corrected) {
                current.add(e);
            }
        }
        current.sort(Comparator.comparing(PriceEntry::id));
        return List.copyOf(current);
    }
}
