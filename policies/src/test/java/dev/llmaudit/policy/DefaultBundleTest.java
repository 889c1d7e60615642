package dev.llmaudit.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.catalog.PriceEntry;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.PolicyTests;
import dev.llmaudit.policy.model.PolicyKind;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What CI checks about the shipped bundle: it validates, its own tests pass, and it shows every policy kind. */
class DefaultBundleTest {
    static final Path BUNDLE = Path.of("bundle");

    static BundleLoader.Result load() {
        return BundleLoader.load(BUNDLE);
    }

    @Test
    void validates() {
        BundleLoader.Result result = load();
        assertThat(result.problems()).isEmpty();
        assertThat(result.bundle().policies()).extracting(p -> p.meta().kind()).containsAll(PolicyKind.declarable());
    }

    @Test
    void itsTestsPass() {
        PolicyTests.Report report = PolicyTests.run(BUNDLE, new PolicyEngine(load().bundle()));
        assertThat(report.problems()).isEmpty();
        assertThat(report.cases()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(report.cases()).allSatisfy(c -> assertThat(c.failures()).as(c.name()).isEmpty());
    }

    @Test
    void everyPolicyHasAPassingCaseThatProducesItsFinding() {
        // From the findings the cases actually produced and matched, not from the test files' text.
        PolicyTests.Report report = PolicyTests.run(BUNDLE, new PolicyEngine(load().bundle()));
        Set<String> policies = load().bundle().policies().stream().map(p -> p.meta().id()).collect(Collectors.toSet());
        Set<String> proven = report.cases().stream().filter(PolicyTests.CaseResult::passed)
                .flatMap(c -> c.matchedPolicies().stream()).collect(Collectors.toSet());
        assertThat(proven).containsAll(policies);
    }

    @Test
    void someCaseAssertsEveryPolicysFindingsForACallThatBreaksSeveral() {
        PolicyTests.Report report = PolicyTests.run(BUNDLE, new PolicyEngine(load().bundle()));
        assertThat(report.cases()).anySatisfy(c -> {
            assertThat(c.complete()).as("no only: every policy's findings compared").isTrue();
            assertThat(c.matchedPolicies()).hasSizeGreaterThanOrEqualTo(3);
            assertThat(c.passed()).isTrue();
        });
    }

    @Test
    void theTestsCheckSomething() {
        assertThat(PolicyTests.check(BUNDLE, load().bundle())).isEmpty();
    }

    @Test
    void everyRegionInThePriceDataIsInTheRegionCatalog() {
        var bundle = load().bundle();
        for (PriceEntry e : bundle.prices().entries()) {
            if (e.region() != null) {
                assertThat(bundle.regions().region(e.cloud(), e.region())).as(e.id()).isPresent();
            }
            if (e.zone() != null) {
                assertThat(bundle.regions().zone(e.cloud(), e.zone())).as(e.id()).isPresent();
            }
        }
    }
}
