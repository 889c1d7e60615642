package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scope x model x price, from the providers' published figures (USD per million tokens, written here
 * by hand from the sources in catalog/scope-rules.yaml), for 1,000 input and 200 output tokens. The
 * expected cost is computed in the test (tokens x price / 10^6), never by the catalog under test.
 */
class ScopeTruePricesTest {
    static final PolicyBundle BUNDLE = BundleLoader.load(Path.of("bundle")).bundle();
    static final Instant AT = Instant.parse("2026-11-02T10:00:00Z");
    static final long IN = 1_000;
    static final long OUT = 200;

    static BigDecimal cost(String inputPerMillion, String outputPerMillion) {
        return new BigDecimal(inputPerMillion).multiply(BigDecimal.valueOf(IN)).add(new BigDecimal(outputPerMillion).multiply(BigDecimal.valueOf(OUT)))
                .movePointLeft(6);
    }

    static Arguments row(String name, String cloud, String provider, String region, Scope scope, String model, String in, String out, String basis) {
        return Arguments.of(name, cloud, provider, region, scope, model, in == null ? null : cost(in, out), basis);
    }

    static Stream<Arguments> table() {
        String sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        return Stream.of(
                // Bedrock, Claude Sonnet 4.5: global 3/15; geographic profiles and in-region 3.30/16.50 (x 1.10); GovCloud 3.60/18.
                row("Bedrock Sonnet 4.5 global profile", "aws", "aws.bedrock", "eu-central-1", null, "global." + sonnet, "3", "15", "published"),
                row("Bedrock Sonnet 4.5 eu. profile", "aws", "aws.bedrock", "eu-central-1", null, "eu." + sonnet, "3.30", "16.50", "published"),
                row("Bedrock Sonnet 4.5 us. profile", "aws", "aws.bedrock", "us-east-1", null, "us." + sonnet, "3.30", "16.50", "published"),
                row("Bedrock Sonnet 4.5 in-region eu-central-1", "aws", "aws.bedrock", "eu-central-1", null, sonnet, "3.30", "16.50",
                        "derived (rule bedrock-claude-4.5-and-later)"),
                row("Bedrock Sonnet 4.5 in-region us-gov-west-1", "aws", "aws.bedrock", "us-gov-west-1", null, sonnet, "3.60", "18", "published"),
                // Bedrock, gpt-oss-120b: no global or geographic profile; the price depends on the region.
                row("Bedrock gpt-oss-120b us-east-1", "aws", "aws.bedrock", "us-east-1", null, "openai.gpt-oss-120b-1:0", "0.15", "0.60", "published"),
                row("Bedrock gpt-oss-120b eu-central-1", "aws", "aws.bedrock", "eu-central-1", null, "openai.gpt-oss-120b-1:0", "0.20", "0.79", "published"),
                row("Bedrock gpt-oss-120b ca-central-1 (no published price)", "aws", "aws.bedrock", "ca-central-1", null, "openai.gpt-oss-120b-1:0",
                        null, null, null),
                row("Bedrock gpt-oss-120b us. profile (none exists)", "aws", "aws.bedrock", "us-east-1", null, "us.openai.gpt-oss-120b-1:0",
                        null, null, null),
                // Azure OpenAI gpt-5.5: Global 5/30, Data Zone 5.50/33 (x 1.10), regional Standard = the data-zone price.
                row("Azure gpt-5.5 global", "azure", "azure.ai.openai", "swedencentral", Scope.GLOBAL, "gpt-5.5", "5", "30", "published"),
                row("Azure gpt-5.5 data zone EU", "azure", "azure.ai.openai", "swedencentral", Scope.DATA_ZONE, "gpt-5.5", "5.50", "33", "published"),
                row("Azure gpt-5.5 regional", "azure", "azure.ai.openai", "swedencentral", Scope.REGIONAL, "gpt-5.5", "5.50", "33",
                        "derived (rule azure-gpt-5-family)"),
                row("Azure gpt-4.1 regional westeurope (x 1.32)", "azure", "azure.ai.openai", "westeurope", Scope.REGIONAL, "gpt-4.1", "2.64", "10.56",
                        "derived (rule azure-gpt-4.1-and-4o)"),
                row("Azure o3 regional (no published price, no rule)", "azure", "azure.ai.openai", "eastus", Scope.REGIONAL, "o3", null, null, null),
                // Vertex AI: Claude Sonnet 4.5 global 3/15, regional 3.30/16.50; Gemini 2.5 Flash one price (0.30/2.50) everywhere.
                row("Vertex Sonnet 4.5 global", "gcp", "gcp.vertex_ai", "global", null, "claude-sonnet-4-5", "3", "15", "published"),
                row("Vertex Sonnet 4.5 europe-west1", "gcp", "gcp.vertex_ai", "europe-west1", null, "claude-sonnet-4-5", "3.30", "16.50",
                        "derived (rule vertex-claude-4.5-and-later)"),
                row("Vertex Gemini 2.5 Flash europe-west4", "gcp", "gcp.vertex_ai", "europe-west4", null, "gemini-2.5-flash", "0.30", "2.50", "published"),
                row("Vertex Gemini 2.5 Flash global", "gcp", "gcp.vertex_ai", "global", null, "gemini-2.5-flash", "0.30", "2.50", "published"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void pricesEachScopeAsTheProviderPublishesIt(String name, String cloud, String provider, String region, Scope scope, String model,
                                                  BigDecimal expected, String basis) {
        LlmCall call = LlmCall.builder("e", AT).cloud(cloud).provider(provider).region(region).scope(scope).requestModel(model)
                .inputTokens(IN).outputTokens(OUT).build();
        Pricing p = BUNDLE.prices().price(call, BUNDLE.regions().processing(call));
        if (expected == null) {
            assertThat(p.status()).as(name + ": " + p.reason()).isEqualTo(Pricing.Status.UNPRICED);
            assertThat(p.reason()).contains("no published price and no scope rule for that scope");
            return;
        }
        assertThat(p.status()).as(name + ": " + p.reason()).isEqualTo(Pricing.Status.PRICED);
        assertThat(p.total()).as(name).isEqualByComparingTo(expected);
        assertThat(p.entry().basisText()).as(name).isEqualTo(basis);
    }

    @Test
    void noSavingIsClaimedBetweenRoutesThatCostTheSame() {
        PolicyEngine engine = new PolicyEngine(BUNDLE);
        // The case: an eu. profile call was told to "save 9.09 %" in-region, where both cost 3.30/16.50.
        LlmCall eu = LlmCall.builder("eu", AT).cloud("aws").region("eu-central-1").dataResidency("eu")
                .requestModel("eu.anthropic.claude-sonnet-4-5-20250929-v1:0").inputTokens(IN).outputTokens(OUT).build();
        assertThat(engine.evaluate(eu).findings()).extracting(Finding::policyId).doesNotContain("cheaper-compliant-offer");
        var alt = engine.cheapestAlternative(eu, IN, 0, OUT, 0).orElseThrow();
        assertThat(alt.cost().total()).as("the cheapest EU route costs what the eu. profile costs").isEqualByComparingTo(cost("3.30", "16.50"));

        // Azure regional gpt-5.5 was priced at the global price, below the data zone: now equal, so no advice either way.
        LlmCall dz = LlmCall.builder("dz", AT).cloud("azure").region("swedencentral").scope(Scope.DATA_ZONE).dataResidency("eu")
                .requestModel("gpt-5.5").inputTokens(IN).outputTokens(OUT).build();
        assertThat(engine.evaluate(dz).findings()).extracting(Finding::policyId).doesNotContain("cheaper-compliant-offer");
    }

    @Test
    void aCostFindingSaysWhichPriceItRestsOn() {
        // 200k output tokens on an Azure regional gpt-5.5 deployment: 200,000 x 33 / 10^6 = 6.60 USD, over the 5 USD cap.
        LlmCall call = LlmCall.builder("cap", AT).cloud("azure").region("swedencentral").scope(Scope.REGIONAL).requestModel("gpt-5.5")
                .inputTokens(0L).outputTokens(200_000L).build();
        Finding cap = new PolicyEngine(BUNDLE).evaluate(call).findings().stream().filter(f -> f.policyId().equals("per-call-cost-cap"))
                .findFirst().orElseThrow();
        assertThat(cap.details()).containsEntry("cost", "6.60").containsEntry("price_entry", "azure/regional/gpt-5.5@2026-07-01")
                .containsEntry("price_basis", "derived (rule azure-gpt-5-family)");
    }

    @Test
    void aSavingWithinTheCatalogsPrecisionIsNeverClaimed() {
        assertThat(Alternatives.beyondPrecision(new BigDecimal("1.38"), new BigDecimal("1.375"))).as("0.36 %: LiteLLM's rounding").isFalse();
        assertThat(Alternatives.beyondPrecision(new BigDecimal("3.3"), new BigDecimal("3.3"))).isFalse();
        assertThat(Alternatives.beyondPrecision(new BigDecimal("3.3"), new BigDecimal("3.0"))).isTrue();
    }

    @Test
    void everyDerivedEntryNamesARuleWithItsSourceAndTheFactorHolds() {
        List<PriceEntry> derived = BUNDLE.prices().entries().stream().filter(e -> e.basis() == PriceBasis.DERIVED).toList();
        assertThat(derived).hasSizeGreaterThan(100);
        for (PriceEntry e : derived) {
            ScopeRule rule = BUNDLE.prices().rules().get(e.rule());
            assertThat(rule).as(e.id()).isNotNull();
            assertThat(rule.source().url()).startsWith("https://");
            assertThat(rule.source().checked()).isNotNull();
            // The entry equals the published base price of its rule's derivation times the factor, per token kind.
            ScopeRule.Derivation d = rule.derive().stream().filter(x -> x.scope() == e.scope()
                    && (x.zones().isEmpty() || x.zones().contains(e.zone())) && (x.regions().isEmpty() || x.regions().contains(e.region())))
                    .findFirst().orElseThrow();
            PriceEntry base = BUNDLE.prices().entries().stream().filter(b -> b.cloud().equals(e.cloud()) && b.model().equals(e.model())
                    && b.scope() == d.from() && b.region() == null && b.zone() == null && b.basis() == PriceBasis.PUBLISHED).findFirst().orElseThrow();
            assertThat(e.inputPerMillion()).as(e.id()).isEqualByComparingTo(base.inputPerMillion().multiply(d.factor()));
            assertThat(e.outputPerMillion()).as(e.id()).isEqualByComparingTo(base.outputPerMillion().multiply(d.factor()));
        }
    }
}
