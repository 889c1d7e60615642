package dev.llmaudit.cli.focus;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.SkuMeterUsage;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Rollup records as the rollups job writes them (UsageRollup v4), with their numbers written out in the tests. */
public final class FocusTestRollups {
    private FocusTestRollups() {}

    /** One meter of one price entry (null = the rollup's single entry), or of the unpriced tokens. */
    public record Meter(String name, String entry, boolean priced, long tokens, String list, String contracted) {}

    /** Tokens priced by the rollup's entry. */
    public static Meter meter(String name, long tokens, String list, String contracted) {
        return new Meter(name, null, true, tokens, list, contracted);
    }

    /** Tokens priced by another entry than the rollup's first (two scopes in one region). */
    public static Meter meter(String entry, String name, long tokens, String list, String contracted) {
        return new Meter(name, entry, true, tokens, list, contracted);
    }

    /** Tokens of calls without a price. */
    public static Meter unpriced(String name, long tokens) {
        return new Meter(name, null, false, tokens, "0", "0");
    }

    public static Money usd(String amount) {
        return Money.newBuilder().setAmount(new BigDecimal(amount).setScale(12, RoundingMode.UNNECESSARY)).setCurrency("USD").build();
    }

    public static UsageRollup rollup(String key, int revision, boolean isFinal, boolean correction, RollupGranularity granularity, String start,
                              Cloud cloud, String region, String model, String skuId, List<Meter> meters) {
        Instant s = Instant.parse(start);
        BigDecimal list = BigDecimal.ZERO;
        BigDecimal contracted = BigDecimal.ZERO;
        long consumed = 0;
        List<SkuMeterUsage> usage = new ArrayList<>();
        java.util.Set<String> entries = new java.util.TreeSet<>();
        for (Meter m : meters) {
            list = list.add(new BigDecimal(m.list()));
            contracted = contracted.add(new BigDecimal(m.contracted()));
            consumed += m.tokens();
            String entry = !m.priced() ? null : m.entry() != null ? m.entry() : skuId;
            if (entry != null) {
                entries.add(entry);
            }
            usage.add(SkuMeterUsage.newBuilder().setSkuMeter(m.name()).setPriceEntry(entry).setConsumedQuantity(m.tokens())
                    .setPricingQuantity(m.priced() ? m.tokens() : 0).setListCost(usd(m.list())).setContractedCost(usd(m.contracted())).build());
        }
        return UsageRollup.newBuilder()
                .setXRollupKey(key).setXRevision(revision).setXIsFinal(isFinal).setXIsCorrection(correction).setXGranularity(granularity)
                .setChargePeriodStart(s).setChargePeriodEnd(s.plus(granularity == RollupGranularity.hour ? Duration.ofHours(1) : Duration.ofDays(1)))
                .setProviderName(cloud == Cloud.azure ? "azure.ai.openai" : cloud == Cloud.aws ? "aws.bedrock" : cloud.name())
                .setXCloud(cloud).setRegionId(region)
                .setServiceName(Map.of(Cloud.azure, "Azure OpenAI", Cloud.aws, "Amazon Bedrock", Cloud.gcp, "Vertex AI", Cloud.openai, "OpenAI API")
                        .get(cloud))
                .setSkuId(entries.isEmpty() ? null : String.join(",", entries)).setXModel(model).setXOperation(Operation.chat)
                .setXTenant("acme-eu").setXTeam("claims").setXApp("triage").setXEnvironment("prod")
                .setXRequestCount(10).setXErrorCount(0).setXUnpricedCount(meters.stream().anyMatch(m -> !m.priced()) ? 1 : 0)
                .setXInputTokens(0).setXOutputTokens(0).setXCachedInputTokens(0).setXReasoningTokens(0)
                .setConsumedQuantity(consumed).setConsumedUnit("Tokens")
                .setListCost(usd(list.toPlainString())).setContractedCost(usd(contracted.toPlainString())).setBilledCost(null)
                .setBillingCurrency("USD").setTags(Map.of("tenant", "acme-eu", "team", "claims"))
                .setXCatalogVersion("2026-11-01").setXPriceBasis("published").setXUpdatedAt(s)
                .setXSkuMeters(usage).build();
    }
}
