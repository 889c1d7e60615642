package dev.llmaudit.policy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.Severity;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BudgetLedgerTest {
    static BudgetContribution spend(String amount, String period, String eventId) {
        return new BudgetContribution("b", "b|team=search", Map.of("team", "search"), BudgetPeriod.MONTH, period, "UTC",
                Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-12-01T00:00:00Z"), new BigDecimal(amount), "USD",
                new BigDecimal("100"), List.of(50, 80, 100), false, eventId);
    }

    @Test
    void eachThresholdIsReportedOncePerPeriodEvenWhenOneCallJumpsSeveral() {
        BudgetLedger ledger = new BudgetLedger();
        assertThat(ledger.record(spend("49.99", "2026-11", "e1"), Severity.LOW)).isEmpty();
        List<Finding> jump = ledger.record(spend("40.01", "2026-11", "e2"), Severity.LOW);     // 90.00: crosses 50 and 80
        assertThat(jump).extracting(f -> f.details().get("threshold_percent")).containsExactly("50", "80");
        assertThat(ledger.record(spend("5", "2026-11", "e3"), Severity.LOW)).isEmpty();        // 95
        assertThat(ledger.record(spend("5", "2026-11", "e4"), Severity.LOW))                    // exactly 100: crosses
                .extracting(f -> f.details().get("threshold_percent")).containsExactly("100");
        assertThat(ledger.record(spend("500", "2026-11", "e5"), Severity.LOW)).isEmpty();      // already crossed
        assertThat(ledger.record(spend("60", "2026-12", "e6"), Severity.LOW))                   // new period starts over
                .extracting(f -> f.details().get("threshold_percent")).containsExactly("50");
    }

    @Test
    void crossingIdsAreDeterministicAndUnpricedCallsAreCountedNotAdded() {
        Finding a = new BudgetLedger().record(spend("60", "2026-11", "e1"), Severity.LOW).get(0);
        Finding b = new BudgetLedger().record(spend("70", "2026-11", "e9"), Severity.LOW).get(0);
        assertThat(a.id()).isEqualTo(b.id()).hasSize(32);

        BudgetContribution unpriced = new BudgetContribution("b", "b|team=search", Map.of(), BudgetPeriod.MONTH, "2026-11", "UTC",
                Instant.EPOCH, Instant.EPOCH, BigDecimal.ZERO, "USD", new BigDecimal("100"), List.of(50), true, "e2");
        BudgetLedger.Update u = BudgetLedger.apply(BudgetLedger.State.EMPTY, unpriced);
        assertThat(u.state().unpricedCalls()).isEqualTo(1);
        assertThat(u.state().spent()).isEqualByComparingTo("0");
    }

    @Test
    void periodsFollowTheBudgetsCalendarAndTimeZone() {
        Instant t = Instant.parse("2026-11-29T23:30:00Z"); // Monday 30 Nov, 00:30 in Berlin
        java.time.ZoneId berlin = java.time.ZoneId.of("Europe/Berlin");
        assertThat(BudgetPeriod.DAY.label(BudgetPeriod.DAY.start(t, berlin))).isEqualTo("2026-11-30");
        assertThat(BudgetPeriod.WEEK.label(BudgetPeriod.WEEK.start(t, berlin))).isEqualTo("2026-W49");
        assertThat(BudgetPeriod.WEEK.label(BudgetPeriod.WEEK.start(t, java.time.ZoneOffset.UTC))).isEqualTo("2026-W48");
        assertThat(BudgetPeriod.MONTH.end(BudgetPeriod.MONTH.start(t, berlin)).toInstant()).isEqualTo(Instant.parse("2026-11-30T23:00:00Z"));
    }
}
