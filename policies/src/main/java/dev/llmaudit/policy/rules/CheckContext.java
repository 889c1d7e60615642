package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.catalog.PriceCatalog;
import dev.llmaudit.policy.catalog.Pricing;
import dev.llmaudit.policy.catalog.ProcessingLocation;
import dev.llmaudit.policy.catalog.RegionCatalog;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything a policy needs to check one call, and where it puts its results. One per call;
 * not shared between threads.
 */
public final class CheckContext {
    private final LlmCall call;
    private final ProcessingLocation location;
    private final Pricing pricing;
    private final RegionCatalog regions;
    private final PriceCatalog prices;
    private final Supplier<Set<String>> residencyRequirement;
    private final java.util.List<Finding> findings;
    private final java.util.List<BudgetContribution> budgets;
    private Set<String> requirement;

    public CheckContext(LlmCall call, ProcessingLocation location, Pricing pricing, RegionCatalog regions, PriceCatalog prices,
                        Supplier<Set<String>> residencyRequirement, java.util.List<Finding> findings,
                        java.util.List<BudgetContribution> budgets) {
        this.call = call;
        this.location = location;
        this.pricing = pricing;
        this.regions = regions;
        this.prices = prices;
        this.residencyRequirement = residencyRequirement;
        this.findings = findings;
        this.budgets = budgets;
    }

    public LlmCall call() {
        return call;
    }

    public ProcessingLocation location() {
        return location;
    }

    public Pricing pricing() {
        return pricing;
    }

    public RegionCatalog regions() {
        return regions;
    }

    public PriceCatalog prices() {
        return prices;
    }

    /** Jurisdictions every residency policy that applies to this call allows (intersection); empty = no requirement. Computed once, on demand. */
    public Set<String> residencyRequirement() {
        if (requirement == null) {
            requirement = residencyRequirement.get();
        }
        return requirement;
    }

    public void add(Finding finding) {
        findings.add(finding);
    }

    public void add(BudgetContribution contribution) {
        budgets.add(contribution);
    }
}
