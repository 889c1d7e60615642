package dev.llmaudit.rollups;

import dev.llmaudit.jobs.PricedCalls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.policy.engine.PolicyBundle;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The pure parts of the rollups: samples, dimension keys, accumulation, the FOCUS record and the counterfactual. */
class RollupsTest {
    static final Instant T = Instant.parse("2026-11-02T10:15:00Z");
    static final PolicyBundle BUNDLE = PricedEvents.ENGINE.bundle();
    static final long DAY = Instant.parse("2026-11-02T00:00:00Z").toEpochMilli();

    static LlmCallEvent kind(int kind, String id) {
        return PricedEvents.call(id, T, kind, new Random(id.hashCode()));
    }

    @Test
    void aSampleCarriesTheEnforcersExactCostAndTheCallsResidencyRequirement() {
        LlmCallEvent e = kind(1, "s1");   // EU pii through an Azure global deployment
        PricedLlmCall priced = PricedEvents.price(e);
        UsageSample s = UsageSamples.from(priced, "USD");

        assertThat(s.cost).isEqualByComparingTo(priced.getCost().getAmount());
        assertThat(s.currency).isEqualTo("USD");
        assertThat(s.priceEntry).isEqualTo(priced.getPriceEntry());
        assertThat(s.residencyRequirement).containsExactly("eu");
        assertThat(s.eventTimeMillis).isEqualTo(T.toEpochMilli());
        assertThat(List.of(s.tenant, s.team, s.app, s.cloud, s.region, s.model)).containsExactly("acme-eu", "claims", "triage", "azure",
                "swedencentral", "gpt-5.5");
        assertThat(s.inputTokens).isEqualTo(e.getInputTokens());
        assertThat(s.latencyMs).isEqualTo(e.getLatencyMs());
    }

    @Test
    void unpricedAndFailedCallsAreCountedWithoutACost() {
        UsageSample unpriced = PricedEvents.sample(kind(6, "u1"));
        UsageSample failed = PricedEvents.sample(kind(7, "f1"));
        assertThat(unpriced.pricingStatus).isEqualTo("unpriced");
        assertThat(unpriced.cost).isNull();
        assertThat(failed.pricingStatus).isEqualTo("no_usage");
        assertThat(failed.error).isTrue();

        RollupAccumulator acc = new RollupAccumulator().add(unpriced).add(failed);
        assertThat(acc.requests).isEqualTo(2);
        assertThat(acc.unpriced).isEqualTo(1);
        assertThat(acc.errors).isEqualTo(1);
        assertThat(acc.listCost).isEqualByComparingTo("0");
        UsageRollup r = Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, new RollupAccumulator().add(unpriced), 0, false,
                BUNDLE, T);
        assertThat(r.getXUnpricedCount()).isEqualTo(1);
        assertThat(r.getXCheapestAlternative()).as("nothing priced, nothing to compare").isNull();
        // The unpriced call's tokens are meters without a price entry: consumed, not priced.
        assertThat(r.getXSkuMeters()).isNotEmpty().allSatisfy(m -> {
            assertThat(m.getPriceEntry()).isNull();
            assertThat(m.getPricingQuantity()).isZero();
            assertThat(m.getListCost().getAmount()).isEqualByComparingTo("0");
        });
        assertThat(r.getXSkuMeters().stream().mapToLong(m -> m.getConsumedQuantity()).sum())
                .isEqualTo(unpriced.inputTokens + unpriced.outputTokens);
    }

    @Test
    void dimensionKeysCannotCollideThroughSeparatorsOrAbsentValues() {
        UsageSample a = PricedEvents.sample(kind(4, "k1"));
        UsageSample b = PricedEvents.sample(kind(4, "k2"));
        a.team = "x|y";
        a.app = null;
        b.team = "x";
        b.app = "y|-";
        UsageSample c = PricedEvents.sample(kind(4, "k3"));
        c.team = "-";
        UsageSample d = PricedEvents.sample(kind(4, "k4"));
        d.team = null;
        assertThat(Set.of(UsageSamples.dimensionKey(a), UsageSamples.dimensionKey(b), UsageSamples.dimensionKey(c),
                UsageSamples.dimensionKey(d))).hasSize(4);
        assertThat(UsageSamples.dimensionKey(PricedEvents.sample(kind(2, "k5"))))
                .isEqualTo("acme-eu|search|-|-|aws|eu-central-1|aws.bedrock|eu.anthropic.claude-sonnet-4-5-20250929-v1:0|-|USD");
    }

    @Test
    void theRollupSumsCostsExactlyAndUsesFocusColumns() {
        List<UsageSample> samples = new ArrayList<>();
        Random rnd = new Random(7);
        for (int i = 0; i < 500; i++) {
            samples.add(PricedEvents.sample(PricedEvents.call("r" + i, T, 0, rnd)));
        }
        RollupAccumulator acc = new RollupAccumulator();
        samples.forEach(acc::add);
        BigDecimal expectedCost = samples.stream().map(s -> s.cost).reduce(BigDecimal.ZERO, BigDecimal::add);
        long input = samples.stream().mapToLong(s -> s.inputTokens).sum();
        long output = samples.stream().mapToLong(s -> s.outputTokens).sum();
        long start = Instant.parse("2026-11-02T10:00:00Z").toEpochMilli();

        UsageRollup r = Rollups.build(Rollups.rollupKey(RollupGranularity.hour, start, UsageSamples.dimensionKey(samples.get(0))),
                RollupGranularity.hour, start, start + 3_600_000, acc, 2, false, BUNDLE, T);

        assertThat(r.getListCost().getAmount()).isEqualTo(expectedCost.setScale(12));
        assertThat(r.getBillingCurrency()).isEqualTo("USD");
        assertThat(r.getXRequestCount()).isEqualTo(500);
        assertThat(r.getConsumedQuantity()).isEqualTo(input + output);
        assertThat(r.getConsumedUnit()).isEqualTo("Tokens");
        assertThat(r.getChargePeriodStart()).isEqualTo(Instant.parse("2026-11-02T10:00:00Z"));
        assertThat(r.getChargePeriodEnd()).isEqualTo(Instant.parse("2026-11-02T11:00:00Z"));
        assertThat(r.getServiceName()).isEqualTo("Azure OpenAI");
        assertThat(r.getProviderName()).isEqualTo("azure.ai.openai");
        assertThat(r.getRegionId()).isEqualTo("swedencentral");
        assertThat(r.getSkuId()).isEqualTo(samples.get(0).priceEntry);
        assertThat(r.getXRevision()).isEqualTo(2);
        assertThat(r.getXRollupKey()).startsWith("hour|2026-11-02T10:00:00Z|acme-eu|claims|triage|");
        assertThat(r.getTags()).containsEntry("tenant", "acme-eu").containsEntry("team", "claims");
        // FOCUS rows are per SKU price: per catalog entry and token kind, adding up to the totals exactly.
        assertThat(r.getXSkuMeters()).extracting(m -> m.getSkuMeter()).isSubsetOf("Input Tokens", "Cached Input Tokens", "Output Tokens",
                "Reasoning Tokens").contains("Input Tokens", "Output Tokens");
        assertThat(r.getXSkuMeters()).allSatisfy(m -> {
            assertThat(m.getPriceEntry()).as("every call here is priced").isEqualTo(samples.get(0).priceEntry);
            assertThat(m.getPricingQuantity()).isEqualTo(m.getConsumedQuantity());
        });
        assertThat(r.getXSkuMeters().stream().map(m -> m.getListCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add))
                .isEqualTo(r.getListCost().getAmount());
        assertThat(r.getXSkuMeters().stream().map(m -> m.getContractedCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add))
                .isEqualTo(r.getContractedCost().getAmount());
        assertThat(r.getXSkuMeters().stream().mapToLong(m -> m.getConsumedQuantity()).sum()).isEqualTo(input + output);
        long cached = samples.stream().mapToLong(s -> Math.min(s.cachedInputTokens, s.inputTokens)).sum();
        assertThat(r.getXSkuMeters().stream().filter(m -> m.getSkuMeter().equals("Cached Input Tokens")).mapToLong(m -> m.getPricingQuantity())
                .sum()).as("cached input tokens of the priced calls").isEqualTo(cached);
        assertThat(r.getXSkuMeters().stream().filter(m -> m.getSkuMeter().equals("Input Tokens")).mapToLong(m -> m.getPricingQuantity()).sum())
                .isEqualTo(input - cached);
        // Latency percentiles from the sketch agree with the exact ones within the sketch's rank error.
        long[] lat = samples.stream().mapToLong(s -> s.latencyMs).sorted().toArray();
        assertThat(r.getXLatencyP50Ms()).isCloseTo(lat[(int) (0.50 * lat.length)], within(0.03 * 3000));
        assertThat(r.getXLatencyP99Ms()).isCloseTo(lat[(int) (0.99 * lat.length) - 1], within(0.03 * 3000));
    }

    @Test
    void theCounterfactualIsTheCheapestOfferThatKeepsTheDataWhereTheCallsRequired() {
        // EU pii through AWS global profiles (3 / 15 per million). Keeping it in the EU: the eu. profile or in-region in an
        // EU region, both 3.30 / 16.50 (Anthropic and AWS: Claude 4.5+ regional = global x 1.10). The expectation is the
        // tokens times those prices, written here, not the catalog's arithmetic.
        RollupAccumulator acc = new RollupAccumulator();
        Random rnd = new Random(3);
        for (int i = 0; i < 20; i++) {
            acc.add(PricedEvents.sample(PricedEvents.call("c" + i, T, 3, rnd)));
        }
        UsageRollup r = Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, acc, 0, false, BUNDLE, T);

        BigDecimal input = BigDecimal.valueOf(acc.pricedInputTokens);
        BigDecimal output = BigDecimal.valueOf(acc.pricedOutputTokens);
        assertThat(acc.pricedCachedInputTokens).isZero();
        assertThat(r.getListCost().getAmount()).isEqualByComparingTo(input.multiply(new BigDecimal("3")).add(output.multiply(new BigDecimal("15")))
                .movePointLeft(6));
        BigDecimal euPrice = input.multiply(new BigDecimal("3.30")).add(output.multiply(new BigDecimal("16.50"))).movePointLeft(6);
        assertThat(r.getXCheapestAlternativeCost().getAmount()).isEqualByComparingTo(euPrice);
        assertThat(r.getXCheapestAlternative()).matches("aws (eu\\. profile|regional in eu-[a-z]+-\\d) .*");
        assertThat(r.getXPotentialSaving().getAmount()).isEqualByComparingTo(r.getListCost().getAmount().subtract(euPrice)).isNegative();
    }

    static LlmCallEvent bedrock(String id, String model, long input, long output) {
        return LlmCallEvent.newBuilder(kind(3, id)).setRequestModel(model).setInputTokens(input).setOutputTokens(output).build();
    }

    @Test
    void theCounterfactualOfAGlobalCallComparesWithTheEuPricesNotTheGlobalOne() {
        // 1M input + 100k output through the global profile: 3.00 + 1.50 = 4.50 USD. Keeping EU pii in the EU costs the
        // eu. profile's or the in-region price, both 10% above global (3.30 / 16.50): 3.30 + 1.65 = 4.95 USD, a premium
        // of 0.45, not the 0 saving that pricing in-region at the global rate used to claim.
        RollupAccumulator acc = new RollupAccumulator().add(PricedEvents.sample(bedrock("g1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                1_000_000, 100_000)));
        UsageRollup r = Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, acc, 0, false, BUNDLE, T);
        assertThat(r.getListCost().getAmount()).isEqualByComparingTo("4.50");
        assertThat(r.getXPriceBasis()).isEqualTo("published");
        assertThat(r.getXCheapestAlternativeCost().getAmount()).isEqualByComparingTo("4.95");
        assertThat(r.getXPotentialSaving().getAmount()).isEqualByComparingTo("-0.45");
        assertThat(r.getXCheapestAlternative()).doesNotContain("global");
    }

    @Test
    void aRollupOfInRegionCallsNamesTheRuleBehindItsPrice() {
        RollupAccumulator acc = new RollupAccumulator()
                .add(PricedEvents.sample(bedrock("i1", "anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 100_000)))
                .add(PricedEvents.sample(bedrock("i2", "anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 100_000)));
        UsageRollup r = Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, acc, 0, false, BUNDLE, T);
        assertThat(r.getListCost().getAmount()).isEqualByComparingTo("9.90");   // 2 x (3.30 + 1.65)
        assertThat(r.getXPriceBasis()).isEqualTo("derived (rule bedrock-claude-4.5-and-later)");
        // The eu. profile costs the same: no saving is claimed, and none is invented from the global price.
        assertThat(r.getXPotentialSaving().getAmount()).isEqualByComparingTo("0");
    }

    @Test
    void aNegotiatedPriceIsTheContractedCostAndListCostStaysTheListPrice(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path bundle = dir.resolve("bundle");
        try (var files = java.nio.file.Files.walk(PricedEvents.BUNDLE)) {
            for (java.nio.file.Path f : files.sorted().toList()) {
                java.nio.file.Path to = bundle.resolve(PricedEvents.BUNDLE.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(to);
                } else {
                    java.nio.file.Files.copy(f, to);
                }
            }
        }
        // acme-eu pays the global price (3 / 15) for the eu. profile, listed at 3.30 / 16.50.
        java.nio.file.Files.writeString(bundle.resolve("catalog/overlay.yaml"), java.nio.file.Files.readString(bundle.resolve("catalog/overlay.yaml"))
                + "  - {cloud: aws, model: \"anthropic.claude-sonnet-4-5-20250929-v1:0\", scope: data_zone, zone: eu, tenant: acme-eu,"
                + " effective_from: 2026-10-01, input: \"3\", output: \"15\", basis: negotiated, source: \"AWS private pricing addendum\"}\n");
        var loaded = dev.llmaudit.policy.load.BundleLoader.load(bundle);
        assertThat(loaded.problems()).isEmpty();
        var engine = new dev.llmaudit.policy.engine.PolicyEngine(loaded.bundle());
        LlmCallEvent e = bedrock("n1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 100_000);
        PricedLlmCall priced = PricedCalls.of(e, engine.evaluate(dev.llmaudit.policy.avro.LlmCalls.from(e)), "USD",
                List.of(), T);
        assertThat(priced.getCost().getAmount()).isEqualByComparingTo("4.50");         // 3.00 + 1.50
        assertThat(priced.getListCost().getAmount()).isEqualByComparingTo("4.95");     // 3.30 + 1.65
        assertThat(priced.getPriceBasis()).isEqualTo("negotiated");

        RollupAccumulator acc = new RollupAccumulator().add(UsageSamples.from(priced, "USD"))
                .add(PricedEvents.sample(bedrock("n2", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 100_000)));
        UsageRollup r = Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, acc, 0, false, engine.bundle(), T);
        assertThat(r.getListCost().getAmount()).isEqualByComparingTo("9.90");
        assertThat(r.getContractedCost().getAmount()).isEqualByComparingTo("9.45");
        assertThat(r.getXPriceBasis()).isEqualTo("negotiated,published");
        // The counterfactual compares list with list: in-region costs the eu. profile's list price, no saving.
        assertThat(r.getXCheapestAlternativeCost().getAmount()).isEqualByComparingTo("9.90");
        assertThat(r.getXPotentialSaving().getAmount()).isEqualByComparingTo("0");
        // Per SKU price: the negotiated entry's rows at 3 / 15 (list 3.30 / 16.50), the published entry's at list.
        assertThat(priced.getListInputCost().getAmount()).isEqualByComparingTo("3.30");
        assertThat(priced.getListOutputCost().getAmount()).isEqualByComparingTo("1.65");
        assertThat(r.getXSkuMeters()).hasSize(4).extracting(m -> m.getPriceEntry() + " " + m.getSkuMeter() + " " + m.getConsumedQuantity() + " "
                        + m.getListCost().getAmount().stripTrailingZeros().toPlainString() + " "
                        + m.getContractedCost().getAmount().stripTrailingZeros().toPlainString())
                .as("entries in order, then token kinds").containsExactly(
                        r.getSkuId().replace(priced.getPriceEntry(), "").replace(",", "") + " Input Tokens 1000000 3.3 3.3",
                        r.getSkuId().replace(priced.getPriceEntry(), "").replace(",", "") + " Output Tokens 100000 1.65 1.65",
                        priced.getPriceEntry() + " Input Tokens 1000000 3.3 3",
                        priced.getPriceEntry() + " Output Tokens 100000 1.65 1.5");

        // A negotiated call priced by an enforcer before PricedLlmCall v3 has no list split: the rollup says the split is unknown.
        PricedLlmCall old = PricedLlmCall.newBuilder(priced).setListInputCost(null).setListCachedInputCost(null).setListOutputCost(null)
                .setListReasoningCost(null).build();
        RollupAccumulator legacy = new RollupAccumulator().add(UsageSamples.from(old, "USD"));
        UsageRollup lr = Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, legacy, 0, false, engine.bundle(), T);
        assertThat(lr.getXSkuMeters()).isNull();
        assertThat(lr.getListCost().getAmount()).isEqualByComparingTo("4.95");

        // The state serializer keeps both sums.
        DataOutputSerializer out = new DataOutputSerializer(256);
        RollupAccumulatorSerializer.INSTANCE.serialize(acc, out);
        RollupAccumulator back = RollupAccumulatorSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back.contractedCost).isEqualByComparingTo("9.45");
        assertThat(back.listCost).isEqualByComparingTo("9.90");
    }

    @Test
    void billedCostIsTheSumOfTheReportedCostsInTheBillingCurrencyAndNullWhenNoneWasReported() {
        // OpenAI direct calls whose gateway reported 0.01 USD each, one reporting 0.02 EUR, and one reporting nothing.
        LlmCallEvent.Builder base = LlmCallEvent.newBuilder(kind(4, "b0"));
        RollupAccumulator acc = new RollupAccumulator();
        for (int i = 0; i < 3; i++) {
            acc.add(PricedEvents.sample(base.setEventId("b" + i).build()));
        }
        acc.add(PricedEvents.sample(base.setEventId("b-eur").setReportedCost(dev.llmaudit.avro.Money.newBuilder()
                .setAmount(new BigDecimal("0.020000000000")).setCurrency("EUR").build()).build()));
        acc.add(PricedEvents.sample(base.setEventId("b-none").setReportedCost(null).build()));
        UsageRollup r = Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, acc, 0, false, BUNDLE, T);
        assertThat(r.getXRequestCount()).isEqualTo(5);
        assertThat(r.getBilledCost().getAmount()).isEqualByComparingTo("0.03");
        assertThat(r.getBilledCost().getCurrency()).isEqualTo("USD");

        RollupAccumulator unreported = new RollupAccumulator().add(PricedEvents.sample(kind(2, "n1")));
        assertThat(Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, unreported, 0, false, BUNDLE, T).getBilledCost())
                .as("no call reported a cost: no BilledCost, not 0").isNull();
    }

    @Test
    void contradictoryRequirementsLeaveNoCompliantAlternative() {
        RollupAccumulator acc = new RollupAccumulator().add(PricedEvents.sample(kind(3, "x1")));
        UsageSample us = PricedEvents.sample(kind(3, "x2"));
        us.residencyRequirement = List.of("us");
        acc.add(us);
        assertThat(acc.residencyRequirement).containsExactly("(none)");
        assertThat(Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, acc, 0, false, BUNDLE, T).getXCheapestAlternative())
                .isNull();
        // Without the contradiction there is one (so the assertion above is not vacuous).
        RollupAccumulator eu = new RollupAccumulator().add(PricedEvents.sample(kind(3, "x3")));
        assertThat(Rollups.build("k", RollupGranularity.day, DAY, DAY + 86_400_000, eu, 0, false, BUNDLE, T).getXCheapestAlternative())
                .isNotNull();
    }

    @Test
    void theStateSerializerRoundTripsEveryFieldExactly() throws Exception {
        RollupAccumulator acc = new RollupAccumulator();
        PricedEvents.calls(300, T, Duration.ofMinutes(30), 11).forEach(e -> acc.add(PricedEvents.sample(e)));
        DataOutputSerializer out = new DataOutputSerializer(1024);
        RollupAccumulatorSerializer.INSTANCE.serialize(acc, out);
        RollupAccumulator back = RollupAccumulatorSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        UsageRollup before = Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, acc, 0, false, BUNDLE, T);
        UsageRollup after = Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, back, 0, false, BUNDLE, T);
        assertThat(after).isEqualTo(before);
        assertThat(back.residencyRequirement).isEqualTo(acc.residencyRequirement);
        assertThat(back.pricedReasoningTokens).isEqualTo(acc.pricedReasoningTokens);
        assertThat(Arrays.asList(back.billedCost, back.listCost)).isEqualTo(Arrays.asList(acc.billedCost, acc.listCost));

        RollupAccumulator copy = RollupAccumulatorSerializer.INSTANCE.copy(acc);
        assertThat(Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, copy, 0, false, BUNDLE, T)).isEqualTo(before);
        assertThat(before.getXSkuMeters()).as("the meters survive the round trip (compared above)").isNotEmpty();

        // State written by the layout before meters (2: the same bytes without the meters at the end) is still read;
        // its window's meter split is unknown, its totals are not.
        byte[] layout2 = out.getCopyOfBuffer();
        layout2[0] = 2;
        RollupAccumulator restored = RollupAccumulatorSerializer.INSTANCE.deserialize(new DataInputDeserializer(layout2));
        UsageRollup fromOld = Rollups.build("k", RollupGranularity.hour, DAY, DAY + 3_600_000, restored, 0, false, BUNDLE, T);
        assertThat(fromOld.getXSkuMeters()).isNull();
        assertThat(fromOld.getListCost()).isEqualTo(before.getListCost());
    }

    @Test
    void mergingTwoHalvesEqualsAccumulatingTheWhole() {
        List<LlmCallEvent> calls = PricedEvents.calls(200, T, Duration.ofMinutes(30), 5);
        RollupAccumulator whole = new RollupAccumulator();
        RollupAccumulator left = new RollupAccumulator();
        RollupAccumulator right = new RollupAccumulator();
        for (int i = 0; i < calls.size(); i++) {
            UsageSample s = PricedEvents.sample(calls.get(i));
            whole.add(s);
            (i % 2 == 0 ? left : right).add(s);
        }
        RollupAccumulator merged = left.merge(right);
        assertThat(merged.listCost).isEqualByComparingTo(whole.listCost);
        assertThat(merged.requests).isEqualTo(whole.requests);
        assertThat(merged.inputTokens + merged.outputTokens).isEqualTo(whole.inputTokens + whole.outputTokens);
        assertThat(merged.billedCost).isEqualByComparingTo(whole.billedCost);
        assertThat(merged.latency.getN()).isEqualTo(whole.latency.getN());
    }

    @Test
    void countsSaturateInsteadOfWrappingAndAnOverflowedRollupIsNeverBuilt() {
        assertThat(RollupAccumulator.sum(Long.MAX_VALUE - 1, 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(RollupAccumulator.sum(40, 2)).isEqualTo(42);
        RollupAccumulator a = new RollupAccumulator();
        UsageSample s = PricedEvents.sample(PricedEvents.calls(1, java.time.Instant.parse("2026-11-02T00:00:00Z"), java.time.Duration.ofMinutes(1), 3).get(0));
        a.add(s);
        a.inputTokens = Long.MAX_VALUE - 10;
        a.add(s);
        assertThat(a.overflowed()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Rollups.build("k", dev.llmaudit.avro.RollupGranularity.hour, 0, 3_600_000, a, 0,
                        false, null, java.time.Instant.EPOCH))
                .isInstanceOf(Rollups.ImpossibleRollup.class).hasMessageContaining("overflowed");
    }

    @Test
    void watermarksNeverPassTheWallClockPlusTheSkew() {
        java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.parse("2026-12-01T12:00:00Z"), java.time.ZoneOffset.UTC);
        CappedWatermarks<Object> w = new CappedWatermarks<>(java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(5), clock);
        w.onEvent("x", java.time.Instant.parse("2026-12-01T11:00:00Z").toEpochMilli(), null);
        assertThat(w.current()).isEqualTo(java.time.Instant.parse("2026-12-01T10:59:30Z").toEpochMilli() - 1);
        w.onEvent("far future", java.time.Instant.parse("2100-01-01T00:00:00Z").toEpochMilli(), null);
        assertThat(w.current()).isEqualTo(java.time.Instant.parse("2026-12-01T12:05:00Z").toEpochMilli());
    }
}
