package dev.llmaudit.cli.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyKind;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.Severity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the console's pages are computed from: latest revisions, corrections, unpriced calls, savings, bounds, order. */
class ConsoleDataTest {
    static final Instant HOUR = Instant.parse("2026-12-01T10:00:00Z");

    static UsageRollup rollup(String key, int revision, boolean isFinal, String team, String cost, String alternative, long calls,
                              long unpriced, RollupGranularity g) {
        UsageRollup.Builder b = UsageRollup.newBuilder().setXRollupKey(key).setXRevision(revision).setXIsFinal(isFinal).setXGranularity(g)
                .setChargePeriodStart(HOUR).setChargePeriodEnd(HOUR.plusSeconds(3600)).setXCloud(Cloud.azure).setXTeam(team)
                .setXModel("gpt-5.5").setXRequestCount(calls).setXUnpricedCount(unpriced).setBillingCurrency("USD")
                .setListCost(LlmCallEventJson.money(new BigDecimal(cost), "USD")).setXUpdatedAt(HOUR);
        if (alternative != null) {
            b.setXCheapestAlternativeCost(LlmCallEventJson.money(new BigDecimal(alternative), "USD"))
                    .setXPotentialSaving(LlmCallEventJson.money(new BigDecimal(cost).subtract(new BigDecimal(alternative)), "USD"));
        }
        return b.build();
    }

    @Test
    void spendIsTheLatestRevisionOfEachKeyPlusCorrectionsHourlyOnlyWithUnpricedCallsBesideTheCost() {
        ConsoleData d = new ConsoleData();
        d.rollup("k1", rollup("k1", 0, false, "claims", "1.10", null, 10, 0, RollupGranularity.hour));
        d.rollup("k1", rollup("k1", 1, true, "claims", "2.25", null, 20, 2, RollupGranularity.hour));     // replaces revision 0
        d.rollup("k1#late:e9", rollup("k1#late:e9", 0, true, "claims", "0.05", null, 1, 0, RollupGranularity.hour)); // a correction adds
        d.rollup("d1", rollup("d1", 0, true, "claims", "99", null, 30, 0, RollupGranularity.day));         // daily: not counted again
        List<ConsoleData.SpendPoint> spend = d.spend("team");
        assertThat(spend).singleElement().satisfies(p -> {
            assertThat(p.cost()).isEqualByComparingTo("2.30");
            assertThat(p.unpricedCalls()).isEqualTo(2);
            assertThat(p.provisional()).isFalse();
        });
        d.rollup("k2", rollup("k2", 0, false, "claims", "0.70", null, 3, 0, RollupGranularity.hour));
        assertThat(d.spend("team").get(0).provisional()).as("an open window in the hour makes it provisional").isTrue();
        assertThat(d.spend("team").get(0).cost()).isEqualByComparingTo("3.00");
    }

    @Test
    void savingsCompareOnlyTheCallsThatHaveAnAlternative() {
        ConsoleData d = new ConsoleData();
        d.rollup("a", rollup("a", 0, true, "claims", "10", "7.5", 4, 0, RollupGranularity.hour));
        d.rollup("b", rollup("b", 0, true, "claims", "5", null, 6, 0, RollupGranularity.hour));   // no compliant alternative known
        ConsoleData.Saving s = d.savings().get(0);
        assertThat(s.cost()).isEqualByComparingTo("15");
        assertThat(s.comparedCost()).isEqualByComparingTo("10");
        assertThat(s.alternative()).isEqualByComparingTo("7.5");
        assertThat(s.saving()).isEqualByComparingTo("2.5");
        assertThat(s.withoutAlternative()).isEqualTo(6);
    }

    @Test
    void violationsAreNewestFirstAndBoundedWithTheDropCounted() {
        ConsoleData d = new ConsoleData();
        for (int i = 0; i < ConsoleData.MAX_VIOLATIONS + 5; i++) {
            d.violation(PolicyViolation.newBuilder().setViolationId("v" + i).setPolicyId("p").setPolicyKind(PolicyKind.residency)
                    .setSeverity(Severity.high).setMessage("m").setDetectedAt(HOUR.plusSeconds(i % 2 == 0 ? i : -i)).build());
        }
        List<PolicyViolation> shown = d.violations(v -> true, 3);
        assertThat(shown).extracting(PolicyViolation::getDetectedAt).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(d.dropped().get("violations")).isEqualTo(5);
    }

    @Test
    void deadLettersKeepAShortReasonNotTheRecord() {
        ConsoleData d = new ConsoleData();
        d.deadLetter(DeadLetter.newBuilder().setStage("validate").setErrorClass("OutOfBounds").setErrorMessage("x".repeat(5_000))
                .setSourceTopic("llm.events").setSourcePartition(0).setSourceOffset(7L)
                .setOriginalValue(java.nio.ByteBuffer.wrap(new byte[1_000_000])).setFailedAt(HOUR).build());
        ConsoleData.DeadLetterView v = d.deadLetters(10).get(0);
        assertThat(v.reason()).hasSize(ConsoleData.MAX_REASON + 3).endsWith("...");
        assertThat(v.source()).isEqualTo("llm.events/0@7");
    }
}
