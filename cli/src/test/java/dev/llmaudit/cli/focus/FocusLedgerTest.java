package dev.llmaudit.cli.focus;

import static dev.llmaudit.cli.focus.FocusTestRollups.meter;
import static dev.llmaudit.cli.focus.FocusTestRollups.rollup;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.List;
import org.junit.jupiter.api.Test;

class FocusLedgerTest {
    static {
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses(); // builders copying records load their classes by name
    }

    static UsageRollup hour(String start, int revision, String cost) {
        return rollup("hour|" + start + "|k", revision, true, false, RollupGranularity.hour, start, Cloud.openai, null, "gpt-5.5",
                "openai/global/gpt-5.5@2026-07-01", List.of(meter("Input Tokens", 1_000, cost, cost)));
    }

    @Test
    void theLastRecordOfAKeyWinsAndChangedDaysAreTakenOnce() {
        FocusLedger ledger = new FocusLedger("hour", null);
        assertThat(ledger.add("a", hour("2026-11-30T23:00:00Z", 0, "1"))).isTrue();
        assertThat(ledger.add("a", hour("2026-11-30T23:00:00Z", 0, "1"))).as("a replay changes nothing").isFalse();
        assertThat(ledger.add("a", hour("2026-11-30T23:00:00Z", 2, "3"))).isTrue();
        assertThat(ledger.add("a", hour("2026-11-30T23:00:00Z", 1, "2"))).as("the topic's last record wins").isTrue();
        assertThat(ledger.revisionsBack()).isEqualTo(1);
        assertThat(ledger.rollups(LocalDate.parse("2026-11-30"))).singleElement().extracting(UsageRollup::getXRevision).isEqualTo(1);
        assertThat(ledger.takeChanged()).containsExactly(LocalDate.parse("2026-11-30"));
        assertThat(ledger.takeChanged()).isEmpty();
        UsageRollup day = rollup("day|2026-11-30T00:00:00Z|k", 0, true, false, RollupGranularity.day, "2026-11-30T00:00:00Z", Cloud.openai,
                null, "gpt-5.5", "openai/global/gpt-5.5@2026-07-01", List.of(meter("Input Tokens", 1_000, "1", "1")));
        assertThat(ledger.add("d", day)).as("another granularity is another dataset").isFalse();
    }

    @Test
    void aPeriodLetGoKeepsItsFilesAndWhatStillComesForItIsCounted() {
        FocusLedger ledger = new FocusLedger("hour", null);
        ledger.add("a", hour("2026-10-31T23:00:00Z", 0, "1"));
        ledger.add("b", hour("2026-11-01T00:00:00Z", 0, "1"));
        ledger.keepFrom(YearMonth.parse("2026-11"));
        assertThat(ledger.size()).isEqualTo(1);
        assertThat(ledger.days(YearMonth.parse("2026-10"))).isEmpty();
        assertThat(ledger.add("a", hour("2026-10-31T23:00:00Z", 1, "2"))).isFalse();
        assertThat(ledger.lateForEvicted()).isEqualTo(1);
        assertThat(ledger.add("old", hour("2026-09-01T00:00:00Z", 0, "1"))).isFalse();
        assertThat(ledger.lateForEvicted()).as("a period never held is out of scope, not late").isEqualTo(1);
    }

    @Test
    void aRecordThatCannotBeExportedIsCountedNotHeld() {
        FocusLedger ledger = new FocusLedger("hour", null);
        UsageRollup wrong = UsageRollup.newBuilder(hour("2026-11-30T23:00:00Z", 0, "1")).setListCost(FocusTestRollups.usd("2")).build();
        assertThat(ledger.add("w", wrong)).isFalse();
        assertThat(ledger.invalid()).isEqualTo(1);
        assertThat(ledger.size()).isZero();
    }
}
