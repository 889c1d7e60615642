package dev.llmaudit.policy.engine;

import dev.llmaudit.policy.catalog.Pricing;
import dev.llmaudit.policy.catalog.ProcessingLocation;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.util.List;

/**
 * The engine's verdict on one call: where it was processed, what it cost (with catalog version and
 * entry), the findings of stateless policies, and what it adds to each budget. Budget threshold
 * crossings are not here: they need state across calls ({@link BudgetLedger}). The residency requirement
 * is the set of jurisdictions the call's data had to stay in (its own {@code data_residency} and every
 * applicable residency policy; empty = none): downstream jobs take it from here instead of deciding again.
 */
public record Evaluation(LlmCall call, ProcessingLocation processing, Pricing pricing, List<Finding> findings,
                         List<BudgetContribution> budgetContributions, String bundleVersion, String catalogVersion,
                         java.util.Set<String> residencyRequirement) {
    public Evaluation {
        // The engine hands over fresh lists; wrap rather than copy (this runs once per event).
        findings = java.util.Collections.unmodifiableList(findings);
        budgetContributions = java.util.Collections.unmodifiableList(budgetContributions);
    }

    /** True when a residency policy found a breach. */
    public boolean residencyViolated() {
        return findings.stream().anyMatch(f -> f.kind() == dev.llmaudit.policy.model.PolicyKind.RESIDENCY);
    }
}
