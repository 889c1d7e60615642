package dev.llmaudit.policy.catalog;

/**
 * What a price entry is, so finance can tell a price the provider published from one llm-audit derived.
 * Every priced event, finding and rollup names the basis of the entry that priced it.
 */
public enum PriceBasis {
    /** As the source lists it (LiteLLM's catalog, or a provider's page named in the entry's source). */
    PUBLISHED,
    /** Computed by a scope rule from a published price of another scope (the entry names the rule). */
    DERIVED,
    /** Agreed with the provider for an account (the bundle's price overlay); FOCUS's ContractedCost. */
    NEGOTIATED,
    /** A published price corrected in the bundle's overlay, with the source that shows the right figure. */
    CORRECTED;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static PriceBasis parse(String s) {
        for (PriceBasis b : values()) {
            if (b.id().equals(s)) {
                return b;
            }
        }
        return null;
    }

    /** List prices: what the provider charges anyone (published, derived from published, corrected). */
    public boolean isList() {
        return this != NEGOTIATED;
    }
}
