package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriceCatalogTest {
    static PolicyBundle bundle;

    @BeforeAll
    static void load(@TempDir Path dir) {
        bundle = BundleLoader.load(TestBundles.write(dir, "p.yaml", "policies:\n  - {id: a, kind: price_check}\n")).bundle();
    }

    static Pricing price(LlmCall c) {
        return bundle.prices().price(c, bundle.regions().processing(c));
    }

    static LlmCall.Builder call(String time) {
        return LlmCall.builder("e1", Instant.parse(time));
    }

    @Test
    void costIsExactPerTokenKind() {
        // 1,234,567 input of which 200,000 cached, 10,001 output of which 1 reasoning, on Azure "any" at 5 / 0.5 / 30 / 40 per M.
        Pricing p = price(call("2026-03-01T00:00:00Z").cloud("azure").region("eastus2").requestModel("gpt-x")
                .inputTokens(1_234_567L).cachedInputTokens(200_000L).outputTokens(10_001L).reasoningTokens(1L).build());
        assertThat(p.status()).isEqualTo(Pricing.Status.PRICED);
        assertThat(p.cost().input()).isEqualByComparingTo("5.172835");       // 1,034,567 x 5 / 1e6
        assertThat(p.cost().cachedInput()).isEqualByComparingTo("0.1");       // 200,000 x 0.5 / 1e6
        assertThat(p.cost().output()).isEqualByComparingTo("0.3");            // 10,000 x 30 / 1e6
        assertThat(p.cost().reasoning()).isEqualByComparingTo("0.00004");     // 1 x 40 / 1e6
        assertThat(p.total()).isEqualByComparingTo("5.572875");
        assertThat(p.entry().id()).isEqualTo("azure/any/gpt-x@2026-01-01");
        assertThat(p.catalogVersion()).isEqualTo("test-prices-1");
    }

    @Test
    void priceChangeAppliesFromItsDate() {
        LlmCall.Builder zone = call("2026-05-31T23:59:59Z").cloud("azure").region("swedencentral").scope(Scope.DATA_ZONE)
                .requestModel("gpt-x").inputTokens(1_000_000L).outputTokens(0L);
        assertThat(price(zone.build()).total()).isEqualByComparingTo("5.5");
        LlmCall june = call("2026-06-01T00:00:00Z").cloud("azure").region("swedencentral").scope(Scope.DATA_ZONE)
                .requestModel("gpt-x").inputTokens(1_000_000L).outputTokens(0L).build();
        assertThat(price(june).total()).isEqualByComparingTo("4.4");
        assertThat(price(june).entry().id()).isEqualTo("azure/data_zone:eu/gpt-x@2026-06-01");
    }

    @Test
    void mostSpecificEntryWins() {
        LlmCall.Builder claude = call("2026-03-01T00:00:00Z").cloud("aws").inputTokens(1_000_000L).outputTokens(0L);
        assertThat(price(claude.region("us-east-1").requestModel("anthropic.claude-x-v1:0").build()).total()).isEqualByComparingTo("2.9");
        assertThat(price(claude.region("eu-central-1").requestModel("anthropic.claude-x-v1:0").build()).total()).isEqualByComparingTo("3");
        assertThat(price(claude.region("eu-central-1").requestModel("eu.anthropic.claude-x-v1:0").build()).total()).isEqualByComparingTo("3.3");
        assertThat(price(claude.region("eu-central-1").requestModel("global.anthropic.claude-x-v1:0").build()).total()).isEqualByComparingTo("2.7");
    }

    @Test
    void unknownModelIsUnpricedNotZero() {
        Pricing p = price(call("2026-03-01T00:00:00Z").cloud("aws").region("us-east-1").requestModel("acme-private-7b")
                .inputTokens(10L).outputTokens(10L).build());
        assertThat(p.status()).isEqualTo(Pricing.Status.UNPRICED);
        assertThat(p.total()).isNull();
        assertThat(p.reason()).isEqualTo("no price for acme-private-7b on aws regional in us-east-1 in catalog test-prices-1 (no published price and no scope rule for that scope)");
    }

    @Test
    void aDeploymentNamedByItsOwnerIsPricedByTheModelThatAnswered() {
        // Azure: the request names the deployment ("claims-x"), the response the model behind it.
        Pricing p = price(call("2026-03-01T00:00:00Z").cloud("azure").region("eastus2").requestModel("claims-x").responseModel("gpt-x")
                .inputTokens(1_000_000L).outputTokens(0L).build());
        assertThat(p.entry().id()).isEqualTo("azure/any/gpt-x@2026-01-01");
        assertThat(p.total()).isEqualByComparingTo("5");
        // The request's name wins when it is priced itself; an unknown pair names both.
        assertThat(price(call("2026-03-01T00:00:00Z").cloud("azure").region("eastus2").requestModel("gpt-x").responseModel("claims-x")
                .inputTokens(1_000_000L).outputTokens(0L).build()).entry().id()).isEqualTo("azure/any/gpt-x@2026-01-01");
        assertThat(price(call("2026-03-01T00:00:00Z").cloud("azure").region("eastus2").requestModel("claims-x").responseModel("other-y")
                .inputTokens(1L).outputTokens(0L).build()).reason()).startsWith("no price for claims-x (answered by other-y) on azure");
        // Elsewhere the request names the model: an unpriced one claiming a priced answer stays unpriced.
        assertThat(price(call("2026-03-01T00:00:00Z").cloud("openai").requestModel("private-ft-x").responseModel("gpt-x")
                .inputTokens(1_000_000L).outputTokens(0L).build()).status()).isEqualTo(Pricing.Status.UNPRICED);
    }

    @Test
    void beforeTheFirstPriceIsUnpriced() {
        Pricing p = price(call("2025-12-31T23:59:59Z").cloud("openai").requestModel("gpt-x").inputTokens(10L).outputTokens(10L).build());
        assertThat(p.status()).isEqualTo(Pricing.Status.UNPRICED);
    }

    @Test
    void unknownTokensAreUnpricedAndFailedCallsWithoutUsageCostNothing() {
        assertThat(price(call("2026-03-01T00:00:00Z").cloud("openai").requestModel("gpt-x").build()).status())
                .isEqualTo(Pricing.Status.UNPRICED);
        Pricing failed = price(call("2026-03-01T00:00:00Z").cloud("openai").requestModel("gpt-x").error(true).build());
        assertThat(failed.status()).isEqualTo(Pricing.Status.NO_USAGE);
        assertThat(failed.total()).isEqualByComparingTo(BigDecimal.ZERO);
    }

    @Test
    void integerFastPathAgreesWithExactDecimalsAndFineGrainedPricesStillWork() {
        PriceEntry fine = new PriceEntry("gcp", null, "m", null, Scope.GLOBAL, null, java.time.LocalDate.parse("2026-01-01"),
                new BigDecimal("0.15000999999999998"), new BigDecimal("0.59997"), null, null, null, "test");
        PriceEntry coarse = bundle.prices().entries().stream().filter(e -> e.id().equals("azure/any/gpt-x@2026-01-01")).findFirst().orElseThrow();
        PriceCatalog catalog = new PriceCatalog("v", "USD", java.util.List.of(fine, coarse));
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < 1000; i++) {
            long in = rnd.nextInt(5_000_000), cached = rnd.nextInt(1_000_000), out = rnd.nextInt(500_000), reasoning = rnd.nextInt(1000);
            BigDecimal slow = coarse.inputPerMillion().multiply(BigDecimal.valueOf(Math.max(0, in - Math.min(cached, in))))
                    .add(coarse.cachedInputPerMillion().multiply(BigDecimal.valueOf(Math.min(cached, in))))
                    .add(coarse.outputPerMillion().multiply(BigDecimal.valueOf(out - Math.min(reasoning, out))))
                    .add(coarse.reasoningPerMillion().multiply(BigDecimal.valueOf(Math.min(reasoning, out)))).movePointLeft(6);
            assertThat(catalog.cost(coarse, in, cached, out, reasoning).total()).isEqualByComparingTo(slow);
            assertThat(BigDecimal.valueOf(catalog.femtoCost(coarse, in, cached, out, reasoning), 15)).isEqualByComparingTo(slow);
        }
        assertThat(catalog.femtoCost(fine, 10, 0, 10, 0)).as("17 decimals do not fit the integer path").isEqualTo(-1);
        assertThat(catalog.cost(fine, 1_000_000, 0, 1_000_000, 0).total()).isEqualByComparingTo("0.74997999999999998");
        assertThat(catalog.cost(fine, 3, 0, 0, 0).total()).isEqualByComparingTo("0.00000045002999999999994");
    }

    @Test
    void canonicalNamesMatchAcrossClouds() {
        assertThat(ModelNames.canonical("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(ModelNames.canonical("claude-sonnet-4-5@20250929")).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(ModelNames.canonical("openai.gpt-oss-120b-1:0")).isEqualTo("gpt-oss-120b");
        assertThat(ModelNames.canonical("openai/gpt-oss-120b-maas")).isEqualTo("gpt-oss-120b");
        assertThat(ModelNames.canonical("gpt-5.5")).isEqualTo("gpt-5.5");
        assertThat(ModelNames.bedrockProfile("us-gov.anthropic.claude-x-v1:0")).get().extracting(ModelNames.Profile::prefix).isEqualTo("us-gov");
        assertThat(ModelNames.bedrockProfile("gpt-5.5")).isEmpty();
    }
}
