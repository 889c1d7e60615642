package dev.llmaudit.policy.engine;

import dev.llmaudit.policy.catalog.Alternatives;
import dev.llmaudit.policy.catalog.Pricing;
import dev.llmaudit.policy.catalog.ProcessingLocation;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.rules.CheckContext;
import dev.llmaudit.policy.rules.Policy;
import dev.llmaudit.policy.rules.ResidencyPolicy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Evaluates calls against one bundle. Pure and deterministic: no I/O, no clock, no state between
 * calls, so the Kafka Streams enforcer, the Flink rollups job and the command-line tools all get the
 * same answer for the same event. Thread-safe.
 */
public final class PolicyEngine {
    private final PolicyBundle bundle;
    /** Finds the policies whose selectors match a call without matching every selector. */
    private final SelectorIndex index;
    /** The residency policies among the bundle's, as a bit set over bundle order. */
    private final long[] residencyPolicies;
    private final java.util.Map<String, dev.llmaudit.policy.model.Severity> severities = new java.util.HashMap<>();

    public PolicyEngine(PolicyBundle bundle) {
        this.bundle = java.util.Objects.requireNonNull(bundle, "bundle (load it with BundleLoader and check its problems first)");
        this.index = new SelectorIndex(bundle.policies());
        bundle.policies().forEach(p -> severities.put(p.meta().id(), p.meta().severity()));
        List<Policy> all = bundle.policies();
        this.residencyPolicies = new long[Math.max(1, (all.size() + 63) / 64)];
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i) instanceof ResidencyPolicy) {
                residencyPolicies[i >>> 6] |= 1L << i;
            }
        }
    }

    public PolicyBundle bundle() {
        return bundle;
    }

    /** The severity a policy declares (for findings made outside the engine, e.g. budget crossings); MEDIUM if unknown. */
    public dev.llmaudit.policy.model.Severity severityOf(String policyId) {
        return severities.getOrDefault(policyId, dev.llmaudit.policy.model.Severity.MEDIUM);
    }

    public Evaluation evaluate(LlmCall call) {
        ProcessingLocation location = bundle.regions().processing(call);
        Pricing pricing = bundle.prices().price(call, location);
        List<Finding> findings = new ArrayList<>(2);
        List<BudgetContribution> budgets = new ArrayList<>(2);
        long[] candidates = index.candidates(call);
        CheckContext ctx = new CheckContext(call, location, pricing, bundle.regions(), bundle.prices(),
                () -> residencyRequirement(call, candidates), findings, budgets);
        for (int w = 0; w < candidates.length; w++) {
            for (long bits = candidates[w]; bits != 0; bits &= bits - 1) {
                int i = (w << 6) + Long.numberOfTrailingZeros(bits);
                if (index.applies(i, call)) {
                    index.policy(i).check(ctx);
                }
            }
        }
        return new Evaluation(call, location, pricing, findings, budgets, bundle.version(), bundle.prices().version(),
                ctx.residencyRequirement());
    }

    /**
     * The jurisdictions the call's data must stay in: its own {@code data_residency} intersected with
     * what every applicable residency policy allows. Empty means no requirement.
     */
    public Set<String> residencyRequirement(LlmCall call) {
        return residencyRequirement(call, index.candidates(call));
    }

    private Set<String> residencyRequirement(LlmCall call, long[] candidates) {
        // A function of the call's declared residency and which residency policies apply: remembered per pair.
        long[] applying = new long[candidates.length];
        for (int w = 0; w < candidates.length; w++) {
            for (long bits = candidates[w] & residencyPolicies[w]; bits != 0; bits &= bits - 1) {
                int i = (w << 6) + Long.numberOfTrailingZeros(bits);
                if (index.applies(i, call)) {
                    applying[w] |= 1L << i;
                }
            }
        }
        RequirementKey key = new RequirementKey(call.dataResidency(), applying);
        Set<String> known = requirements.get(key);
        if (known == null) {
            known = requirement(call.dataResidency(), applying);
            if (requirements.size() < 10_000) {
                requirements.put(key, known);
            }
        }
        return known;
    }

    private record RequirementKey(String residency, long[] policies) {
        @Override
        public boolean equals(Object o) {
            return o instanceof RequirementKey k && java.util.Objects.equals(residency, k.residency)
                    && java.util.Arrays.equals(policies, k.policies);
        }

        @Override
        public int hashCode() {
            return 31 * java.util.Objects.hashCode(residency) + java.util.Arrays.hashCode(policies);
        }
    }

    private final java.util.Map<RequirementKey, Set<String>> requirements = new java.util.concurrent.ConcurrentHashMap<>();

    /** The intersection of the declared residency and what each of the given residency policies allows for it. */
    private Set<String> requirement(String declared, long[] applying) {
        Set<String> required = null;
        if (declared != null) {
            required = new HashSet<>(bundle.regions().expand(Set.of(declared)));
        }
        for (int w = 0; w < applying.length; w++) {
            for (long bits = applying[w]; bits != 0; bits &= bits - 1) {
                ResidencyPolicy p = (ResidencyPolicy) index.policy((w << 6) + Long.numberOfTrailingZeros(bits));
                Set<String> allowed = bundle.regions().expand(p.allowedFor(declared));
                if (allowed.isEmpty()) {
                    continue;
                }
                if (required == null) {
                    required = new HashSet<>(allowed);
                } else {
                    required.retainAll(allowed);
                    if (required.isEmpty()) {
                        // Contradictory policies: nothing satisfies both; keep an impossible marker.
                        required.add("(none)");
                    }
                }
            }
        }
        return required == null ? Set.of() : Set.copyOf(required);
    }

    /** The cheapest compliant alternative for these tokens of this model (for rollups' counterfactual cost). */
    public Optional<Alternatives.Alternative> cheapestAlternative(LlmCall call, long input, long cached, long output, long reasoning) {
        return Alternatives.cheapest(bundle.prices(), bundle.regions(), call.model(), call.eventTime(), input, cached, output,
                reasoning, residencyRequirement(call), null);
    }
}
