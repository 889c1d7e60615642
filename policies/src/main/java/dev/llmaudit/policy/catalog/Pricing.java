package dev.llmaudit.policy.catalog;

import java.math.BigDecimal;

/**
 * The catalog's answer for one call: priced (with the entry and catalog version used), unpriced
 * (no price known, or token counts unknown: counted and flagged, never $0), or no usage (a failed
 * call that consumed no tokens).
 */
public record Pricing(Status status, CostBreakdown cost, PriceEntry entry, String catalogVersion, String reason, BigDecimal total) {
    public Pricing(Status status, CostBreakdown cost, PriceEntry entry, String catalogVersion, String reason) {
        this(status, cost, entry, catalogVersion, reason, cost == null ? null : cost.total());
    }

    public enum Status { PRICED, UNPRICED, NO_USAGE }

    public static Pricing priced(CostBreakdown cost, PriceEntry entry, String catalogVersion) {
        return new Pricing(Status.PRICED, cost, entry, catalogVersion, null);
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

    /** The exact total, or null when unpriced. */
    public BigDecimal total() {
        return total;
    }
}
