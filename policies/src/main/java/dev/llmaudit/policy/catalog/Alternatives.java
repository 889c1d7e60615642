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
        Alternative best = null;
        for (PriceEntry e : prices.offers(model, at)) {
            if (exclude != null && e.id().equals(exclude.id())) {
                continue;
            }
            Optional<String> where = compliantLocation(regions, e, requirement);
            if (where.isEmpty()) {
                continue;
            }
            CostBreakdown cost = prices.cost(e, input, cached, output, reasoning);
            if (best == null || cost.total().compareTo(best.cost().total()) < 0
                    || (cost.total().compareTo(best.cost().total()) == 0 && e.id().compareTo(best.entry().id()) < 0)) {
                best = new Alternative(e, where.get(), cost);
            }
        }
        return Optional.ofNullable(best);
    }

    /** Where an offer would process data, if that satisfies the requirement; empty if it cannot. */
    public static Optional<String> compliantLocation(RegionCatalog regions, PriceEntry e, Set<String> requirement) {
        boolean any = requirement.isEmpty() || requirement.contains(ProcessingLocation.ANYWHERE);
        if (e.scope() == Scope.GLOBAL) {
            return any ? Optional.of(e.cloud() + " global (" + e.model() + ")") : Optional.empty();
        }
        if (e.scope() == Scope.DATA_ZONE) {
            Optional<DataZone> zone = regions.zone(e.cloud(), e.zone());
            if (zone.isEmpty()) {
                return Optional.empty();
            }
            boolean ok = any || (!zone.get().jurisdictions().contains(ProcessingLocation.ANYWHERE) && requirement.containsAll(zone.get().jurisdictions()));
            String label = e.cloud().equals("aws") ? "aws " + e.zone() + ". profile (" + e.zone() + "." + e.model() + ")"
                    : e.cloud() + " data zone " + e.zone() + " (" + e.model() + ")";
            return ok ? Optional.of(label) : Optional.empty();
        }
        if (e.region() != null) {
            Optional<Region> r = regions.region(e.cloud(), e.region());
            if (r.isEmpty()) {
                return Optional.empty();
            }
            boolean ok = any || requirement.contains(r.get().jurisdiction());
            return ok ? Optional.of(e.cloud() + " " + e.region() + " (" + e.model() + ")") : Optional.empty();
        }
        if (any) {
            return Optional.of(e.cloud() + " (" + e.model() + ")");
        }
        // Any region of the cloud: compliant when the cloud has a region in an allowed jurisdiction.
        return regions.regions(e.cloud()).stream()
                .filter(r -> requirement.contains(r.jurisdiction()))
                .findFirst()
                .map(r -> e.cloud() + " regional in " + r.id() + " (" + e.model() + ")");
    }

    /** Saving in percent of the current cost, exact to 2 decimals (rounded down). */
    public static BigDecimal savingPercent(BigDecimal current, BigDecimal alternative) {
        if (current.signum() <= 0) {
            return BigDecimal.ZERO;
        }
        return current.subtract(alternative).multiply(BigDecimal.valueOf(100)).divide(current, 2, java.math.RoundingMode.DOWN);
    }
}
