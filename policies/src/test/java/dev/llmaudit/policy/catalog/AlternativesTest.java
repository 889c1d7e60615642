package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

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
                    if (e != exclude && Alternatives.compliantLocation(regions, e, requirement).isPresent()) {
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
}
