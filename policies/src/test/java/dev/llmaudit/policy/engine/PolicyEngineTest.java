package dev.llmaudit.policy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyEngineTest {
    static final String POLICIES = """
            policies:
              - id: eu-pii
                kind: residency
                severity: high
                match: {data_classification: [pii]}
                allowed_jurisdictions: [eu]
              - id: declared
                kind: residency
              - id: apac-only
                kind: residency
                match: {tenant: [jp-*]}
                allowed_jurisdictions: [apac]
              - id: monthly
                kind: budget
                per: [team]
                period: month
                limit: {amount: "10", currency: USD}
              - id: big
                kind: custom
                condition: "has(event.input_tokens) && event.input_tokens > 100000 && event.tags['project'] == 'x'"
            """;

    @Test
    void sameEventGivesSameFindingsAndIdsOnEveryRun(@TempDir Path dir) {
        PolicyBundle bundle = BundleLoader.load(TestBundles.write(dir, "p.yaml", POLICIES)).bundle();
        LlmCall call = LlmCall.builder("evt-1", Instant.parse("2026-03-01T10:00:00Z")).team("search").cloud("aws").region("eu-central-1")
                .requestModel("global.anthropic.claude-x-v1:0").dataClassification("pii").dataResidency("eu")
                .inputTokens(200_000L).outputTokens(10L).tags(Map.of("project", "x")).build();

        Evaluation first = new PolicyEngine(bundle).evaluate(call);
        Evaluation second = new PolicyEngine(BundleLoader.load(dir).bundle()).evaluate(call);

        assertThat(first.findings()).extracting(Finding::policyId).containsExactly("eu-pii", "declared", "big");
        assertThat(first.findings()).isEqualTo(second.findings());
        assertThat(first.findings()).extracting(Finding::id).doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).hasSize(32));
        assertThat(first.pricing().entry().id()).isEqualTo("aws/global/anthropic.claude-x-v1:0@2026-01-01");
        assertThat(first.budgetContributions()).singleElement().satisfies(c -> {
            assertThat(c.budgetKey()).isEqualTo("monthly|team=search");
            assertThat(c.periodLabel()).isEqualTo("2026-03");
            assertThat(c.amount()).isEqualByComparingTo("0.540135"); // 200,000 x 2.7 + 10 x 13.5, per million
        });
        assertThat(first.bundleVersion()).isEqualTo("t1");
    }

    @Test
    void residencyGroupsExpandAndRequirementsIntersect(@TempDir Path dir) {
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(TestBundles.write(dir, "p.yaml", POLICIES)).bundle());
        LlmCall tokyo = LlmCall.builder("e2", Instant.parse("2026-03-01T10:00:00Z")).tenant("jp-corp").cloud("aws").region("ap-northeast-1")
                .requestModel("anthropic.claude-x-v1:0").inputTokens(1L).outputTokens(1L).build();
        assertThat(engine.evaluate(tokyo).findings()).isEmpty();
        assertThat(engine.residencyRequirement(tokyo)).containsExactlyInAnyOrder("jp", "au");

        LlmCall london = LlmCall.builder("e3", Instant.parse("2026-03-01T10:00:00Z")).tenant("jp-corp").cloud("aws").region("eu-west-2")
                .requestModel("anthropic.claude-x-v1:0").inputTokens(1L).outputTokens(1L).build();
        assertThat(engine.evaluate(london).findings()).singleElement().satisfies(f -> assertThat(f.message())
                .isEqualTo("data processed via aws anthropic.claude-x-v1:0 in eu-west-2; policy apac-only allows apac jurisdictions only; "
                        + "use a regional endpoint in ap-northeast-1"));
    }

    @Test
    void aModelFindingOnACallThatNamesNoProviderSaysSoInsteadOfNull(@TempDir Path dir) {
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(TestBundles.write(dir, "p.yaml", """
                policies:
                  - {id: providers, kind: model, allow_providers: [aws.bedrock]}
                """)).bundle());
        LlmCall call = LlmCall.builder("e4", Instant.parse("2026-03-01T10:00:00Z")).cloud("aws").region("eu-central-1")
                .requestModel("anthropic.claude-x-v1:0").inputTokens(1L).outputTokens(1L).build();
        assertThat(engine.evaluate(call).findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).isEqualTo("a call that names no provider is not allowed by policy providers (allowed: aws.bedrock)");
            assertThat(f.details()).containsOnlyKeys("model", "cloud").doesNotContainValue("null");
        });
    }

    @Test
    void eachCostBasisCountsWhatItSays(@TempDir Path dir) {
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(TestBundles.write(dir, "p.yaml", """
                policies:
                  - {id: by-catalog, kind: budget, per: [team], period: month, limit: {amount: "10", currency: USD}, cost_basis: catalog}
                  - {id: by-report, kind: budget, per: [team], period: month, limit: {amount: "10", currency: USD}, cost_basis: reported}
                  - {id: by-either, kind: budget, per: [team], period: month, limit: {amount: "10", currency: USD}, cost_basis: reported_or_catalog}
                """)).bundle());
        // Azure data zone eu, gpt-x at 4.40 / 26.40 per million: 1,000 x 4.40 + 100 x 26.40 = 0.00704 USD from the catalog.
        LlmCall.Builder call = LlmCall.builder("e", Instant.parse("2026-11-02T10:00:00Z")).team("search").cloud("azure").region("swedencentral")
                .scope(dev.llmaudit.policy.model.Scope.DATA_ZONE).requestModel("gpt-x").inputTokens(1000L).outputTokens(100L);
        record Row(String budget, String amount, boolean unpriced) {}
        java.util.function.Function<LlmCall, java.util.List<Row>> rows = c -> engine.evaluate(c).budgetContributions().stream()
                .map(b -> new Row(b.budgetId(), b.amount().stripTrailingZeros().toPlainString(), b.unpriced())).toList();

        // Reported 0.50 USD by the gateway.
        assertThat(rows.apply(call.reportedCost(new java.math.BigDecimal("0.50"), "USD").build())).containsExactly(
                new Row("by-catalog", "0.00704", false), new Row("by-report", "0.5", false), new Row("by-either", "0.5", false));
        // Nothing reported: the reported budget counts the call as unpriced, never as 0 spent silently.
        assertThat(rows.apply(call.reportedCost(null, null).build())).containsExactly(
                new Row("by-catalog", "0.00704", false), new Row("by-report", "0", true), new Row("by-either", "0.00704", false));
        // Reported in another currency: no FX rates, so not usable as USD.
        assertThat(rows.apply(call.reportedCost(new java.math.BigDecimal("0.40"), "EUR").build())).containsExactly(
                new Row("by-catalog", "0.00704", false), new Row("by-report", "0", true), new Row("by-either", "0.00704", false));
    }

    @Test
    void capsFlagWhatExceedsThemNotWhatReachesThem(@TempDir Path dir) {
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(TestBundles.write(dir, "p.yaml", """
                policies:
                  - {id: cap, kind: call_cap, max_cost: {amount: "5", currency: USD}, max_input_tokens: 1000000, max_output_tokens: 10,
                     max_total_tokens: 1000010}
                """)).bundle());
        // Azure gpt-x anywhere at 5 USD per million input tokens: 1,000,000 input tokens cost exactly 5.
        java.util.function.BiFunction<Long, Long, java.util.List<String>> details = (in, out) -> engine.evaluate(LlmCall.builder("c",
                        Instant.parse("2026-03-01T10:00:00Z")).cloud("azure").region("eastus2").requestModel("gpt-x").inputTokens(in).outputTokens(out)
                .build()).findings().stream().flatMap(f -> f.details().keySet().stream()).toList();
        assertThat(details.apply(1_000_000L, 0L)).as("at every cap, over none").isEmpty();
        assertThat(details.apply(1_000_000L, 10L)).as("30 USD/M x 10 output tokens: over the cost cap only")
                .containsExactly("cost", "max_cost", "price_entry", "price_basis");
        assertThat(details.apply(1_000_001L, 0L)).containsExactly("cost", "max_cost", "price_entry", "price_basis", "input_tokens");
        assertThat(details.apply(0L, 11L)).containsExactly("output_tokens");
        assertThat(details.apply(999_999L, 11L)).as("1,000,010 tokens: at the total cap").doesNotContain("total_tokens");
        assertThat(details.apply(1_000_000L, 11L)).contains("total_tokens");
    }

    @Test
    void aBudgetInAnotherCurrencyThanTheCatalogIsRefusedAtLoad(@TempDir Path dir) {
        // No exchange rates: every budget is in the catalog's currency, whatever its cost basis, and the bundle says so.
        for (String basis : java.util.List.of("catalog", "reported", "reported_or_catalog")) {
            assertThat(BundleLoader.load(TestBundles.write(dir.resolve(basis), "p.yaml", """
                    policies:
                      - {id: eur, kind: budget, per: [team], period: month, limit: {amount: "10", currency: EUR}, cost_basis: %s}
                    """.formatted(basis))).problems()).extracting(p -> p.message())
                    .containsExactly("policy eur.limit.currency: EUR but the price catalog is in USD and there are no exchange rates; use USD");
        }
    }
}
