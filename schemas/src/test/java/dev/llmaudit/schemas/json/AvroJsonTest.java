package dev.llmaudit.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.SkuMeterUsage;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.junit.jupiter.api.Test;

/** What `tail --json` prints: plain JSON with exact decimal strings, also inside arrays of records. */
class AvroJsonTest {
    static Money usd(String a) {
        return Money.newBuilder().setAmount(new BigDecimal(a).setScale(12)).setCurrency("USD").build();
    }

    @Test
    void anArrayOfRecordsDecodedByAvroIsAJsonArrayOfObjectsWithExactDecimals() {
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses();
        SkuMeterUsage m = SkuMeterUsage.newBuilder().setSkuMeter("Input Tokens").setPriceEntry("azure/data_zone:eu/gpt-5.5@2026-07-01")
                .setConsumedQuantity(1_000).setPricingQuantity(1_000).setListCost(usd("0.001375")).setContractedCost(usd("0.001375")).build();
        Instant t = Instant.parse("2026-11-02T10:00:00Z");
        UsageRollup r = UsageRollup.newBuilder().setXRollupKey("k").setXGranularity(RollupGranularity.hour).setChargePeriodStart(t)
                .setChargePeriodEnd(t.plusSeconds(3600)).setConsumedQuantity(1_000).setConsumedUnit("Tokens").setListCost(usd("0.001375"))
                .setBillingCurrency("USD").setTags(Map.of()).setXUpdatedAt(t)
                // As the decoder gives it: Avro's own array type, which is also a GenericContainer.
                .setXSkuMeters(new GenericData.Array<>(UsageRollup.getClassSchema().getField("x_SkuMeters").schema().getTypes().get(1), List.of(m)))
                .build();
        var json = AvroJson.toJson(r);
        assertThat(json.get("x_SkuMeters").isArray()).isTrue();
        assertThat(json.get("x_SkuMeters").get(0).get("ListCost").get("amount").asText()).isEqualTo("0.001375000000");
        assertThat(json.get("x_SkuMeters").get(0).get("PriceEntry").asText()).isEqualTo("azure/data_zone:eu/gpt-5.5@2026-07-01");
        assertThat(json.get("ListCost").get("amount").isTextual()).isTrue();
    }
}
