package dev.llmaudit.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.catalog.PriceBasis;
import dev.llmaudit.policy.catalog.PriceEntry;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriceCheckPolicyTest {
    static PriceEntry entry(PriceBasis basis, String rule) {
        return new PriceEntry("aws", null, "m", null, dev.llmaudit.policy.model.Scope.REGIONAL, null, LocalDate.parse("2026-01-01"),
                BigDecimal.ONE, BigDecimal.ONE, null, null, "s", "t", basis, rule, null);
    }

    @Test
    void theMessageSaysWhichComparedPriceAScopeRuleDerived() {
        PriceEntry published = entry(PriceBasis.PUBLISHED, null);
        assertThat(PriceCheckPolicy.basisNote(published, published)).isEmpty();
        assertThat(PriceCheckPolicy.basisNote(entry(PriceBasis.DERIVED, "r1"), entry(PriceBasis.DERIVED, "r1")))
                .isEqualTo("; both prices derived by scope rule r1");
        assertThat(PriceCheckPolicy.basisNote(entry(PriceBasis.DERIVED, "r1"), entry(PriceBasis.DERIVED, "r2")))
                .isEqualTo("; the current price is derived by scope rule r1; the alternative's price is derived by scope rule r2");
        assertThat(PriceCheckPolicy.basisNote(entry(PriceBasis.DERIVED, "r1"), published)).isEqualTo("; the current price is derived by scope rule r1");
        assertThat(PriceCheckPolicy.basisNote(published, entry(PriceBasis.DERIVED, "r2")))
                .isEqualTo("; the alternative's price is derived by scope rule r2");
        assertThat(PriceCheckPolicy.basisNote(entry(PriceBasis.CORRECTED, null), published)).isEmpty();
    }

    @Test
    void aSavingOfExactlyTheMinimumIsNotReported(@TempDir Path dir) {
        // In-region 3 / 15 against the global profile's 2.70 / 13.50: exactly 10 % cheaper for any tokens.
        LlmCall call = LlmCall.builder("p", Instant.parse("2026-03-01T10:00:00Z")).cloud("aws").region("eu-central-1")
                .requestModel("anthropic.claude-x-v1:0").inputTokens(1000L).outputTokens(100L).build();
        java.util.function.Function<String, List<String>> findings = min -> new PolicyEngine(BundleLoader.load(TestBundles.write(
                dir.resolve(min), "p.yaml", "policies:\n  - {id: pc, kind: price_check, min_saving_percent: " + min + "}\n")).bundle())
                .evaluate(call).findings().stream().map(Finding::message).toList();
        assertThat(findings.apply("10")).isEmpty();
        assertThat(findings.apply("9.99")).singleElement().asString()
                .isEqualTo("anthropic.claude-x-v1:0 cost 0.0045 USD via aws/regional/anthropic.claude-x-v1:0@2026-01-01; the same tokens cost "
                        + "0.00405 USD on aws global (anthropic.claude-x-v1:0) (saving 0.00045 USD, 10.00%); policy pc");
    }

    @Test
    void aSavingIsAdviceUnlessItExceedsBothViolationThresholds(@TempDir Path dir) {
        // In-region 3 / 15 vs global 2.70 / 13.50: 10 % cheaper. 1M input + 100k output: 4.50 vs 4.05, saving 0.45 USD.
        LlmCall call = LlmCall.builder("p", Instant.parse("2026-03-01T10:00:00Z")).cloud("aws").region("eu-central-1")
                .requestModel("anthropic.claude-x-v1:0").inputTokens(1_000_000L).outputTokens(100_000L).build();
        java.util.function.Function<String, List<Boolean>> advice = extra -> new PolicyEngine(BundleLoader.load(TestBundles.write(
                dir.resolve(Integer.toHexString(extra.hashCode())), "p.yaml", "policies:\n  - {id: pc, kind: price_check, min_saving_percent: 5"
                        + extra + "}\n")).bundle()).evaluate(call).findings().stream().map(Finding::advice).toList();
        assertThat(advice.apply("")).as("no thresholds: advice").containsExactly(true);
        assertThat(advice.apply(", violation_saving_percent: 9, violation_saving: {amount: \"0.40\", currency: USD}")).containsExactly(false);
        assertThat(advice.apply(", violation_saving_percent: 10, violation_saving: {amount: \"0.40\", currency: USD}"))
                .as("10 % is not above 10 %").containsExactly(true);
        assertThat(advice.apply(", violation_saving_percent: 9, violation_saving: {amount: \"0.45\", currency: USD}"))
                .as("0.45 is not above 0.45").containsExactly(true);
        assertThat(BundleLoader.load(TestBundles.write(dir.resolve("half"), "p.yaml",
                "policies:\n  - {id: pc, kind: price_check, violation_saving_percent: 9}\n")).problems()).extracting(p -> p.message())
                .containsExactly("policy pc: a price check raises a violation only above both violation_saving_percent and violation_saving"
                        + " (an amount per call); set both, or neither for advice only");
    }
}
