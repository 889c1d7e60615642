package dev.llmaudit.policy.catalog;

import java.math.BigDecimal;

/**
 * The catalog's answer for one call: priced (with the entry and catalog version used), unpriced
 * (no price known, or token counts unknown: counted and flagged, never $0), or no usage (a failed
 * call that consumed no tokens).
 *
 * @param total what the call costs the tenant: at its negotiated price when the overlay has one
 *              (FOCUS ContractedCost), else at the list price
 * @param listCost the same call at list prices (published, derived or corrected; FOCUS ListCost), per
 *                 token kind: equal to {@code cost} unless the entry is negotiated, and null when it is
 *                 negotiated for a route that has no list price
 */
public record Pricing(Status status, CostBreakdown cost, PriceEntry entry, String catalogVersion, String reason, BigDecimal total,
                      CostBreakdown listCost) {
    public Pricing(Status status, CostBreakdown cost, PriceEntry entry, String catalogVersion, String reason) {
        this(status, cost, entry, catalogVersion, reason, cost == null ? null : cost.total(), cost);
    }

    public enum Status { PRICED, UNPRICED, NO_USAGE }

    public static Pricing priced(CostBreakdown cost, PriceEntry entry, String catalogVersion) {
        return new Pricing(Status.PRICED, cost, entry, catalogVersion, null);
    }

    /** A call priced at a negotiated price, with its cost at list prices (null when the route has none). */
    public static Pricing negotiated(CostBreakdown cost, PriceEntry entry, String catalogVersion, CostBreakdown listCost) {
        return new Pricing(Status.PRICED, cost, entry, catalogVersion, null, cost.total(), listCost);
    }

    public static Pricing unpriced(String reason, String catalogVersion) {
        return new Pricing(Status.UNPRICED, null, null, catalogVersion, reason);
    }

    public static Pricing noUsage(String currency, String catalogVersion) {
        return new Pricing(Status.NO_USAGE, CostBreakdown.zero(currency), null, catalogVersion, "failed call without token usage");
    }

    public boolean priced() {
        return status == Status.PRICED;
    }

    /** The call at list prices (FOCUS ListCost), or null when unpriced or negotiated on a route without a list price. */
    public BigDecimal listTotal() {
        return listCost == null ? null : listCost.total();
    }

    /** The exact total, or null when unpriced. */
    public BigDecimal total() {
        return total;
    }
}
