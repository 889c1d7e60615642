package dev.llmaudit.enforcer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The internal budget encodings keep every field exactly (decimals included) and refuse unknown layouts. */
class BudgetCodecTest {
    static final BudgetContribution C = new BudgetContribution("team-monthly", "team-monthly|tenant=acme|team=search",
            Map.of("tenant", "acme", "team", "search"), BudgetPeriod.parse("month"), "2026-11", "Europe/Berlin",
            Instant.parse("2026-10-31T23:00:00Z"), Instant.parse("2026-11-30T23:00:00Z"), new BigDecimal("0.000000075000"), "EUR",
            new BigDecimal("2000.00"), List.of(50, 80, 100), false, "e-1");

    @Test
    void contributionsAndBudgetsRoundTripExactly() {
        var contributions = BudgetCodec.contributions();
        assertThat(contributions.deserializer().deserialize("t", contributions.serializer().serialize("t", C))).isEqualTo(C);

        var budgets = BudgetCodec.budgets();
        BudgetCodec.Budget b = new BudgetCodec.Budget(C, new BudgetLedger.State(new BigDecimal("1999.999999999999"), 3, 80));
        BudgetCodec.Budget back = budgets.deserializer().deserialize("t", budgets.serializer().serialize("t", b));
        assertThat(back).isEqualTo(b);
        assertThat(back.state().spent().scale()).isEqualTo(12);
        BudgetCodec.Budget none = new BudgetCodec.Budget(C, new BudgetLedger.State(BigDecimal.ZERO, 0, null));
        assertThat(budgets.deserializer().deserialize("t", budgets.serializer().serialize("t", none)).state().lastThreshold()).isNull();
    }

    @Test
    void anUnknownLayoutIsRefusedWithWhatToDo() {
        byte[] bytes = BudgetCodec.contributions().serializer().serialize("t", C);
        bytes[0] = 9;
        assertThatThrownBy(() -> BudgetCodec.contributions().deserializer().deserialize("t", bytes))
                .hasMessageContaining("layout 9").hasMessageContaining("reset the enforcer's internal topics");
    }
}
