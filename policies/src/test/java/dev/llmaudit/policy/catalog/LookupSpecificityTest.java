package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which entry prices a call when several cover it, with a distinct price for every coverage so that
 * picking the wrong one shows (in the shipped catalog many coverages share a price, which hides it).
 */
class LookupSpecificityTest {
    static final LocalDate FROM = LocalDate.parse("2026-01-01");
    static final Instant AT = Instant.parse("2026-03-01T00:00:00Z");

    static PriceEntry entry(String model, String region, Scope scope, String zone, String input) {
        return new PriceEntry("aws", null, model, region, scope, zone, FROM, new BigDecimal(input), BigDecimal.ONE, null, null, null, "t");
    }

    static final PriceCatalog CATALOG = new PriceCatalog("v", "USD", List.of(
            entry("m", null, Scope.REGIONAL, null, "1"),
            entry("m", "us-east-1", Scope.REGIONAL, null, "2"),
            entry("m", null, Scope.DATA_ZONE, "eu", "3"),
            entry("m", null, Scope.DATA_ZONE, "us", "4"),
            entry("m", null, Scope.GLOBAL, null, "5"),
            entry("m", null, null, null, "6"),
            entry("n", null, null, null, "7"),
            entry("n", "eu-west-2", null, null, "8"),
            entry("p", null, Scope.DATA_ZONE, null, "9"),
            entry("p", null, Scope.DATA_ZONE, "eu", "10")));

    static String price(String model, String region, Scope scope, String zone) {
        return CATALOG.lookup("aws", model, region, scope, zone, AT).map(e -> e.inputPerMillion().toPlainString()).orElse("unpriced");
    }

    @Test
    void theMostSpecificCoveringEntryWins() {
        assertThat(price("m", "us-east-1", Scope.REGIONAL, null)).as("its region's own price").isEqualTo("2");
        assertThat(price("m", "eu-central-1", Scope.REGIONAL, null)).as("the scope's price elsewhere").isEqualTo("1");
        assertThat(price("m", "eu-central-1", Scope.DATA_ZONE, "eu")).as("its zone, not another zone's").isEqualTo("3");
        assertThat(price("m", "us-east-1", Scope.DATA_ZONE, "us")).isEqualTo("4");
        assertThat(price("m", "us-east-1", Scope.GLOBAL, null)).isEqualTo("5");
        assertThat(price("m", "ap-northeast-1", Scope.DATA_ZONE, "apac")).as("no zone entry: the any-scope one").isEqualTo("6");
        assertThat(price("n", "eu-west-2", Scope.REGIONAL, null)).as("any scope, its region").isEqualTo("8");
        assertThat(price("n", "us-east-1", Scope.REGIONAL, null)).isEqualTo("7");
        assertThat(price("n", "us-east-1", Scope.GLOBAL, null)).isEqualTo("7");
        assertThat(price("p", "eu-central-1", Scope.DATA_ZONE, "eu")).as("the zone's price over the scope's").isEqualTo("10");
        assertThat(price("p", "us-east-1", Scope.DATA_ZONE, "us")).isEqualTo("9");
        assertThat(price("p", "us-east-1", Scope.REGIONAL, null)).isEqualTo("unpriced");
    }

    @Test
    void offersAreTheLatestVersionOfEachCoverage() {
        PriceCatalog versions = new PriceCatalog("v", "USD", List.of(
                entry("q", null, Scope.DATA_ZONE, "eu", "1"),
                new PriceEntry("aws", null, "q", null, Scope.DATA_ZONE, "eu", LocalDate.parse("2026-06-01"), new BigDecimal("2"), BigDecimal.ONE,
                        null, null, null, "t"),
                entry("q", null, Scope.DATA_ZONE, "us", "3"),
                entry("q", "us-east-1", Scope.REGIONAL, null, "4"),
                entry("q", "us-west-2", Scope.REGIONAL, null, "5")));
        java.util.function.Function<String, List<String>> offers = day -> versions.offers("q", Instant.parse(day + "T12:00:00Z")).stream()
                .map(e -> e.id() + "=" + e.inputPerMillion().toPlainString()).toList();
        assertThat(offers.apply("2026-03-01")).containsExactly("aws/data_zone:eu/q@2026-01-01=1", "aws/data_zone:us/q@2026-01-01=3",
                "aws/regional:us-east-1/q@2026-01-01=4", "aws/regional:us-west-2/q@2026-01-01=5");
        // The June price replaces the eu zone's January one, and only that one.
        assertThat(offers.apply("2026-07-01")).containsExactly("aws/data_zone:eu/q@2026-06-01=2", "aws/data_zone:us/q@2026-01-01=3",
                "aws/regional:us-east-1/q@2026-01-01=4", "aws/regional:us-west-2/q@2026-01-01=5");
    }

    @Test
    void theExactDecimalPathPricesCachedAndReasoningTokensLikeTheIntegerPath() {
        // 10^-12 digits do not fit the integer path (10^-15 per token needs prices in 10^-9 per million): the BigDecimal path runs.
        PriceEntry fine = new PriceEntry("gcp", null, "f", null, Scope.GLOBAL, null, FROM, new BigDecimal("2.000000000001"),
                new BigDecimal("8.000000000001"), new BigDecimal("0.500000000001"), new BigDecimal("12.000000000001"), null, "t");
        PriceCatalog c = new PriceCatalog("v", "USD", List.of(fine));
        assertThat(c.femtoCost(fine, 1, 0, 0, 0)).isEqualTo(-1);
        CostBreakdown cost = c.cost(fine, 1_000_000, 250_000, 100_000, 40_000);
        assertThat(cost.input()).isEqualByComparingTo(new BigDecimal("750000").multiply(new BigDecimal("2.000000000001")).movePointLeft(6));
        assertThat(cost.cachedInput()).isEqualByComparingTo(new BigDecimal("250000").multiply(new BigDecimal("0.500000000001")).movePointLeft(6));
        assertThat(cost.output()).isEqualByComparingTo(new BigDecimal("60000").multiply(new BigDecimal("8.000000000001")).movePointLeft(6));
        assertThat(cost.reasoning()).isEqualByComparingTo(new BigDecimal("40000").multiply(new BigDecimal("12.000000000001")).movePointLeft(6));
        // Cached beyond input and reasoning beyond output are capped at them, never negative.
        CostBreakdown capped = c.cost(fine, 10, 50, 5, 9);
        assertThat(capped.input()).isEqualByComparingTo("0");
        assertThat(capped.cachedInput()).isEqualByComparingTo(new BigDecimal("10").multiply(new BigDecimal("0.500000000001")).movePointLeft(6));
        assertThat(capped.output()).isEqualByComparingTo("0");
        assertThat(capped.reasoning()).isEqualByComparingTo(new BigDecimal("5").multiply(new BigDecimal("12.000000000001")).movePointLeft(6));
    }

    @Test
    void canonicalNamesAndProfilesAsComputedNotRemembered() {
        assertThat(ModelNames.computeCanonical("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(ModelNames.computeCanonical("Claude-Sonnet-4-5@20250929")).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(ModelNames.computeCanonical("publishers/meta/models/llama-4-maverick-17b-128e-instruct-maas")).isEqualTo("llama-4-maverick-17b-128e-instruct");
        assertThat(ModelNames.computeCanonical("openai.gpt-oss-120b-1:0")).isEqualTo("gpt-oss-120b");
        assertThat(ModelNames.computeCanonical("amazon.nova-pro-v1:0")).isEqualTo("nova-pro");
        assertThat(ModelNames.computeCanonical("cohere.command-r-v1")).isEqualTo("command-r");
        assertThat(ModelNames.computeCanonical("mistral.mistral-large:3")).isEqualTo("mistral-large");
        assertThat(ModelNames.computeCanonical("gpt-5.5")).isEqualTo("gpt-5.5");
        assertThat(ModelNames.computeCanonical("maas")).isEqualTo("maas");
        assertThat(ModelNames.parseProfile("apac.anthropic.claude-x-v1:0")).hasValue(new ModelNames.Profile("apac", "anthropic.claude-x-v1:0"));
        assertThat(ModelNames.parseProfile("global.anthropic.claude-x-v1:0").orElseThrow().global()).isTrue();
        assertThat(ModelNames.parseProfile("eu.anthropic.claude-x-v1:0").orElseThrow().global()).isFalse();
        assertThat(ModelNames.parseProfile("eu.claude")).as("a profile prefixes a vendor.model id").isEmpty();
        assertThat(ModelNames.parseProfile("anthropic.claude-x-v1:0")).isEmpty();
        assertThat(ModelNames.forms("us.amazon.nova-pro-v1:0")).isEqualTo(new ModelNames.Forms("us.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", "nova-pro"));
    }
}
