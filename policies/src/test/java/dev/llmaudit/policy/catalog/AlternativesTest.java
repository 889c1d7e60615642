package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.load.BundleLoader;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cheapest compliant alternative, found from the precomputed comparable offers, is the one a
 * plain comparison of every offer's exact decimal cost finds (cheapest, ties to the lowest id), for
 * the models of the shipped catalog, any token mix, residency requirement and excluded offer.
 */
class AlternativesTest {
    @Test
    void cheapestEqualsComparingEveryOfferExactly() {
        PolicyBundle bundle = BundleLoader.load(Path.of("bundle")).bundle();
        PriceCatalog prices = bundle.prices();
        RegionCatalog regions = bundle.regions();
        Instant at = Instant.parse("2026-11-02T12:00:00Z");
        List<String> models = prices.entries().stream().map(PriceEntry::model).distinct().sorted().toList();
        List<Set<String>> requirements = List.of(Set.of(), Set.of("eu"), Set.of("us"), Set.of("apac"), Set.of("eu", "us"),
                Set.of(ProcessingLocation.ANYWHERE));
        Random rnd = new Random(11);
        int compared = 0;
        for (String model : models) {
            List<PriceEntry> offers = prices.offers(model, at);
            for (int k = 0; k < 6; k++) {
                // Token mixes including zero counts of some kinds (where only the id breaks ties).
                long input = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(2_000_000);
                long cached = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(1_000_000);
                long output = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(200_000);
                long reasoning = rnd.nextInt(2) == 0 ? 0 : rnd.nextInt(100_000);
                Set<String> requirement = requirements.get(rnd.nextInt(requirements.size()));
                PriceEntry exclude = offers.isEmpty() || rnd.nextBoolean() ? null : offers.get(rnd.nextInt(offers.size()));

                Optional<Alternatives.Alternative> actual = Alternatives.cheapest(prices, regions, model, at, input, cached, output,
                        reasoning, requirement, exclude);

                List<PriceEntry> candidates = new ArrayList<>();
                for (PriceEntry e : offers) {
                    if (e != exclude && Alternatives.compliantLocation(prices, regions, e, requirement, at).isPresent()) {
                        candidates.add(e);
                    }
                }
                Optional<PriceEntry> expected = candidates.stream().min(Comparator
                        .<PriceEntry, BigDecimal>comparing(e -> prices.cost(e, input, cached, output, reasoning).total())
                        .thenComparing(PriceEntry::id));
                assertThat(actual.map(Alternatives.Alternative::entry)).as("%s %s %s", model, requirement, exclude).isEqualTo(expected);
                actual.ifPresent(a -> assertThat(a.cost().total())
                        .isEqualByComparingTo(prices.cost(a.entry(), input, cached, output, reasoning).total()));
                compared += candidates.size();
            }
        }
        assertThat(models).hasSizeGreaterThan(100);
        assertThat(compared).isGreaterThan(1_000);
    }

    /** Tokens x price per million, written out: (input - cached) x in + cached x cachedIn + output x out, / 10^6. */
    static BigDecimal cost(long input, long cached, long output, String in, String cachedIn, String out) {
        return BigDecimal.valueOf(input - cached).multiply(new BigDecimal(in)).add(BigDecimal.valueOf(cached).multiply(new BigDecimal(cachedIn)))
                .add(BigDecimal.valueOf(output).multiply(new BigDecimal(out))).movePointLeft(6);
    }

    /**
     * The test catalog (TestBundles.PRICES) offers anthropic.claude-x on aws at 3 / 15 / cached 0.30 in-region (any region
     * without its own price), 2.90 / 14.50 in us-east-1, 3.30 / 16.50 / 0.33 through the eu data zone and 2.70 / 13.50
     * globally; gpt-x on azure at 5 / 30 / 0.50 anywhere and 4.40 / 26.40 through the eu data zone (the 2026-06-01 price),
     * and on openai at 5 / 30 globally. The compliant offers per requirement are listed here by hand.
     */
    @Test
    void theCheapestCompliantOfferOfAnExplicitListWithItsExactCost(@TempDir Path dir) {
        PolicyBundle b = BundleLoader.load(TestBundles.write(dir, "p.yaml", "policies: []\n")).bundle();
        Instant at = Instant.parse("2026-11-02T12:00:00Z");
        long in = 1_000_000;
        long cached = 200_000;
        long out = 100_000;
        record Case(String model, Set<String> requirement, String expectedId, String expectedWhere, BigDecimal expectedCost) {}
        BigDecimal inRegion = cost(in, cached, out, "3", "0.3", "15");          // 3.96
        BigDecimal usEast1 = cost(in, cached, out, "2.9", "2.9", "14.5");       // 4.35 (no cached price: cached at the input price)
        BigDecimal global = cost(in, cached, out, "2.7", "2.7", "13.5");        // 4.05
        List<Case> cases = List.of(
                // eu: in-region in eu-central-1 (3.96) or the eu data zone (4.356); not global, not us-east-1.
                new Case("anthropic.claude-x-v1:0", Set.of("eu"), "aws/regional/anthropic.claude-x-v1:0@2026-01-01",
                        "aws regional in eu-central-1 (anthropic.claude-x-v1:0)", inRegion),
                // us: only us-east-1 at its own price. The in-region price "anywhere else" (3.96) is not what a call there costs.
                new Case("anthropic.claude-x-v1:0", Set.of("us"), "aws/regional:us-east-1/anthropic.claude-x-v1:0@2026-01-01",
                        "aws us-east-1 (anthropic.claude-x-v1:0)", usEast1),
                new Case("anthropic.claude-x-v1:0", Set.of("uk"), "aws/regional/anthropic.claude-x-v1:0@2026-01-01",
                        "aws regional in eu-west-2 (anthropic.claude-x-v1:0)", inRegion),
                // No requirement: all four; in-region is cheapest for this cache-heavy mix (3.96 < global 4.05).
                new Case("anthropic.claude-x-v1:0", Set.of(), "aws/regional/anthropic.claude-x-v1:0@2026-01-01",
                        "aws (anthropic.claude-x-v1:0)", inRegion),
                new Case("global.anthropic.claude-x-v1:0", Set.of("us", "eu"), "aws/regional/anthropic.claude-x-v1:0@2026-01-01",
                        "aws regional in eu-central-1 (anthropic.claude-x-v1:0)", inRegion),
                // gpt-x for eu: azure anywhere in swedencentral (7.10) or the eu data zone (7.04); openai global is not compliant.
                new Case("gpt-x", Set.of("eu"), "azure/data_zone:eu/gpt-x@2026-06-01", "azure data zone eu (gpt-x)",
                        cost(in, cached, out, "4.4", "4.4", "26.4")),
                new Case("gpt-x", Set.of("jp"), null, null, null));
        // Without cached tokens us-east-1 (4.35) is cheaper than in-region elsewhere (4.50), but it is not in the EU.
        Optional<Alternatives.Alternative> euNoCache = Alternatives.cheapest(b.prices(), b.regions(), "anthropic.claude-x-v1:0", at, in, 0, out,
                0, Set.of("eu"), null);
        assertThat(euNoCache.orElseThrow().where()).isEqualTo("aws regional in eu-central-1 (anthropic.claude-x-v1:0)");
        assertThat(euNoCache.orElseThrow().cost().total()).isEqualByComparingTo(cost(in, 0, out, "3", "3", "15"));
        for (Case c : cases) {
            Optional<Alternatives.Alternative> actual = Alternatives.cheapest(b.prices(), b.regions(), c.model(), at, in, cached, out, 0,
                    c.requirement(), null);
            if (c.expectedId() == null) {
                assertThat(actual).as("%s %s", c.model(), c.requirement()).isEmpty();
                continue;
            }
            assertThat(actual).as("%s %s", c.model(), c.requirement()).isPresent();
            assertThat(actual.get().entry().id()).as("%s %s", c.model(), c.requirement()).isEqualTo(c.expectedId());
            assertThat(actual.get().where()).isEqualTo(c.expectedWhere());
            assertThat(actual.get().cost().total()).as("%s %s", c.model(), c.requirement()).isEqualByComparingTo(c.expectedCost());
        }
        assertThat(global).as("the global offer would win without the cached price").isLessThan(cost(in, 0, out, "3", "0.3", "15"));
        // Excluding the offer used: the eu data zone call's alternative is azure in swedencentral at 7.10.
        PriceEntry dz = b.prices().offers("gpt-x", at).stream().filter(e -> e.id().equals("azure/data_zone:eu/gpt-x@2026-06-01")).findFirst()
                .orElseThrow();
        Alternatives.Alternative other = Alternatives.cheapest(b.prices(), b.regions(), "gpt-x", at, in, cached, out, 0, Set.of("eu"), dz)
                .orElseThrow();
        assertThat(other.where()).isEqualTo("azure regional in swedencentral (gpt-x)");
        assertThat(other.cost().total()).isEqualByComparingTo(cost(in, cached, out, "5", "0.5", "30"));
    }

    @Test
    void noSavingAtOrBelowThePrecisionIsClaimedAndPercentagesRoundDown() {
        BigDecimal current = new BigDecimal("100");
        assertThat(Alternatives.beyondPrecision(current, new BigDecimal("99.5"))).as("exactly 0.5 %").isFalse();
        assertThat(Alternatives.beyondPrecision(current, new BigDecimal("99.4999"))).isTrue();
        assertThat(Alternatives.beyondPrecision(current, new BigDecimal("100.01"))).as("dearer").isFalse();
        assertThat(Alternatives.savingPercent(current, new BigDecimal("66.666"))).isEqualByComparingTo("33.33");
        assertThat(Alternatives.savingPercent(new BigDecimal("3"), new BigDecimal("2"))).isEqualByComparingTo("33.33");
        assertThat(Alternatives.savingPercent(BigDecimal.ZERO, BigDecimal.ZERO)).isEqualByComparingTo("0");
        assertThat(Alternatives.savingPercent(new BigDecimal("-1"), BigDecimal.ZERO)).isEqualByComparingTo("0");
    }
}
