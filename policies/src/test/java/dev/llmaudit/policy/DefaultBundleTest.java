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
    void everyPolicyHasATestThatExpectsAFindingFromIt() {
        PolicyTests.Report report = PolicyTests.run(BUNDLE, new PolicyEngine(load().bundle()));
        Set<String> policies = load().bundle().policies().stream().map(p -> p.meta().id()).collect(Collectors.toSet());
        assertThat(report.cases()).isNotEmpty();
        // The test files name each policy in an expectation.
        String tests = readTests();
        for (String id : policies) {
            assertThat(tests).as("a test expecting a finding of " + id).contains("{policy: " + id);
        }
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

    static String readTests() {
        try (var files = java.nio.file.Files.list(BUNDLE.resolve("tests"))) {
            StringBuilder b = new StringBuilder();
            for (Path p : files.toList()) {
                b.append(java.nio.file.Files.readString(p));
            }
            return b.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
