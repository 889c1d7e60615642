package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Finds what the same tokens would cost on the cheapest other offer of the same model (another
 * cloud, region or deployment scope) that also satisfies a residency requirement. Used by the
 * price-check policy and by the rollups' counterfactual cost.
 *
 * <p>Offers are compared with exact integer arithmetic where the prices allow it (cost in
 * 10^-15 of the currency unit, see {@link PriceCatalog#femtoCost}); the chosen alternative's cost is
 * then computed as an exact {@link BigDecimal}. Nothing here uses floating point.
 */
public final class Alternatives {
    private Alternatives() {}

    /** A compliant offer, where it would run, and the exact cost of the tokens there. */
    public record Alternative(PriceEntry entry, String where, CostBreakdown cost) {}

    /**
     * @param requirement allowed jurisdictions; empty = no residency requirement
     * @param exclude the entry actually used (not an alternative to itself), or null
     */
    public static Optional<Alternative> cheapest(PriceCatalog prices, RegionCatalog regions, String model, Instant at,
                                                 long input, long cached, long output, long reasoning,
                                                 Set<String> requirement, PriceEntry exclude) {
        PriceEntry best = cheapestEntry(prices, regions, model, at, input, cached, output, reasoning, requirement, exclude);
        return best == null ? Optional.empty() : Optional.of(new Alternative(best,
                compliantLocation(prices, regions, best, requirement, at).orElseThrow(), prices.cost(best, input, cached, output, reasoning)));
    }

    /** As {@link #cheapest}, only the offer (no cost breakdown or description built), or null. */
    public static PriceEntry cheapestEntry(PriceCatalog prices, RegionCatalog regions, String model, Instant at,
                                           long input, long cached, long output, long reasoning,
                                           Set<String> requirement, PriceEntry exclude) {
        PriceCatalog.Candidates candidates = prices.offerSet(model, at).candidates(requirement, regions, prices);
        if (exclude != null) {
            candidates = candidates.excluding(exclude, prices);
        }
        PriceEntry[] offers = candidates.frontier;
        long[][] nanos = candidates.frontierNanos;
        int[] ranks = candidates.frontierRanks;
        int best = -1;
        long bestFemto = -1;         // exact cost in 10^-15 units when it fits a long
        BigDecimal bestExact = null; // otherwise the exact decimal
        for (int i = 0; i < offers.length; i++) {
            long femto = PriceCatalog.femtoCost(nanos[i], input, cached, output, reasoning);
            BigDecimal exact = femto >= 0 ? null : prices.cost(offers[i], input, cached, output, reasoning).total();
            if (best < 0 || isCheaper(femto, exact, ranks[i], bestFemto, bestExact, ranks[best])) {
                best = i;
                bestFemto = femto;
                bestExact = exact;
            }
        }
        return best < 0 ? null : offers[best];
    }

    /** Cheaper, or as cheap and first in id order. Exact: longs when both fit, decimals otherwise. */
    private static boolean isCheaper(long femto, BigDecimal exact, int rank, long bestFemto, BigDecimal bestExact, int bestRank) {
        int cmp;
        if (femto >= 0 && bestFemto >= 0) {
            cmp = Long.compare(femto, bestFemto);
        } else {
            cmp = (exact != null ? exact : BigDecimal.valueOf(femto, 15))
                    .compareTo(bestExact != null ? bestExact : BigDecimal.valueOf(bestFemto, 15));
        }
        return cmp < 0 || (cmp == 0 && rank < bestRank);
    }

    /**
     * Whether the offer would keep data within the requirement (cheap; no strings built).
     *
     * @param ownPriceRegions regions of the offer's cloud with a price of their own for the model: an
     *                        offer without a region is not what a call there would cost
     */
    static boolean compliant(RegionCatalog regions, PriceEntry e, Set<String> requirement, Set<String> ownPriceRegions) {
        boolean any = requirement.isEmpty() || requirement.contains(ProcessingLocation.ANYWHERE);
        if (any) {
            return e.scope() != Scope.DATA_ZONE || regions.zone(e.cloud(), e.zone()).isPresent();
        }
        if (e.scope() == Scope.GLOBAL) {
            return false;
        }
        if (e.scope() == Scope.DATA_ZONE) {
            Optional<DataZone> zone = regions.zone(e.cloud(), e.zone());
            return zone.isPresent() && !zone.get().jurisdictions().contains(ProcessingLocation.ANYWHERE)
                    && requirement.containsAll(zone.get().jurisdictions());
        }
        if (e.region() != null) {
            return regions.region(e.cloud(), e.region()).map(r -> requirement.contains(r.jurisdiction())).orElse(false);
        }
        return regions.firstRegionIn(e.cloud(), requirement, ownPriceRegions).isPresent();
    }

    /**
     * Where an offer would process data, if that satisfies the requirement; empty if it cannot. An
     * offer without a region is placed in the first compliant region that has no price of its own
     * for the model on {@code at}'s day (that region's call would cost another price).
     */
    public static Optional<String> compliantLocation(PriceCatalog prices, RegionCatalog regions, PriceEntry e, Set<String> requirement,
                                                     Instant at) {
        Set<String> ownPriceRegions = prices.offerSet(e.model(), at).ownPriceRegions(e.cloud());
        if (!compliant(regions, e, requirement, ownPriceRegions)) {
            return Optional.empty();
        }
        boolean any = requirement.isEmpty() || requirement.contains(ProcessingLocation.ANYWHERE);
        if (e.scope() == Scope.GLOBAL) {
            return Optional.of(e.cloud() + " global (" + e.model() + ")");
        }
        if (e.scope() == Scope.DATA_ZONE) {
            return Optional.of(e.cloud().equals("aws") ? "aws " + e.zone() + ". profile (" + e.zone() + "." + e.model() + ")"
                    : e.cloud() + " data zone " + e.zone() + " (" + e.model() + ")");
        }
        if (e.region() != null) {
            return Optional.of(e.cloud() + " " + e.region() + " (" + e.model() + ")");
        }
        if (any) {
            return Optional.of(e.cloud() + " (" + e.model() + ")");
        }
        return regions.firstRegionIn(e.cloud(), requirement, ownPriceRegions)
                .map(r -> e.cloud() + " regional in " + r.id() + " (" + e.model() + ")");
    }

    /**
     * The catalog's precision, in percent of a cost: prices imported from LiteLLM are binary floats
     * per token with about three significant digits (Azure's 1.375 USD per million arrives as 1.38e-06),
     * so two routes whose costs differ by less than this are priced the same as far as the catalog
     * can tell. No saving smaller than this is ever claimed.
     */
    public static final BigDecimal PRECISION_PERCENT = new BigDecimal("0.5");

    /** Whether {@code alternative} is cheaper than {@code current} by more than the catalog's precision. */
    public static boolean beyondPrecision(BigDecimal current, BigDecimal alternative) {
        BigDecimal saving = current.subtract(alternative);
        return saving.signum() > 0 && saving.multiply(BigDecimal.valueOf(100)).compareTo(current.multiply(PRECISION_PERCENT)) > 0;
    }

    /** Saving in percent of the current cost, exact to 2 decimals (rounded down). */
    public static BigDecimal savingPercent(BigDecimal current, BigDecimal alternative) {
        if (current.signum() <= 0) {
            return BigDecimal.ZERO;
        }
        return current.subtract(alternative).multiply(BigDecimal.valueOf(100)).divide(current, 2, java.math.RoundingMode.DOWN);
    }
}
