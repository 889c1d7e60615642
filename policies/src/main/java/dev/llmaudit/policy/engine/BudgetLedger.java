package dev.llmaudit.policy.engine;

import dev.llmaudit.policy.model.Amounts;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.PolicyKind;
import dev.llmaudit.policy.model.Severity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Budget accounting: adds contributions to the spend of their budget instance and period, and
 * reports each threshold crossing exactly once per budget instance, period and threshold. The
 * static {@link #apply} is the whole rule, so a state store (Kafka Streams) or an in-memory map
 * (dry-run, this class) give the same results.
 */
public final class BudgetLedger {
    /** Spend so far in one budget instance and period. */
    public record State(BigDecimal spent, long unpricedCalls, Integer lastThreshold) {
        public static final State EMPTY = new State(BigDecimal.ZERO, 0, null);
    }

    /** The new state and the thresholds this contribution crossed (in increasing order). */
    public record Update(State state, List<Integer> crossed) {}

    private final Map<String, State> states = new HashMap<>();
    private final Map<String, BudgetContribution> lastContribution = new LinkedHashMap<>();

    /** Pure rule: the state after adding the contribution, and the thresholds newly crossed. */
    public static Update apply(State before, BudgetContribution c) {
        return c.unpriced() ? apply(before, c, BigDecimal.ZERO, 0, 1) : apply(before, c, c.amount(), 1, 0);
    }

    /**
     * The same rule for several calls of one budget instance and period at once (the enforcer sums them
     * before the repartition): their exact total is added, unpriced calls are counted, and each threshold
     * the new total reaches is crossed once, as if they had come one by one (the crossing is then
     * attributed to {@code last}, the last of them).
     */
    public static Update apply(State before, BudgetContribution last, BigDecimal amount, long pricedCalls, long unpricedCalls) {
        long unpriced = before.unpricedCalls() + unpricedCalls;
        if (pricedCalls == 0) {
            return new Update(new State(before.spent(), unpriced, before.lastThreshold()), List.of());
        }
        BudgetContribution c = last;
        BigDecimal after = before.spent().add(amount);
        List<Integer> crossed = new ArrayList<>();
        Integer lastThreshold = before.lastThreshold();
        for (int t : c.thresholds()) {
            BigDecimal level = c.limit().multiply(BigDecimal.valueOf(t)).movePointLeft(2);
            boolean already = lastThreshold != null && t <= lastThreshold;
            if (!already && after.compareTo(level) >= 0) {
                crossed.add(t);
                lastThreshold = t;
            }
        }
        return new Update(new State(after, unpriced, lastThreshold), crossed);
    }

    /** Applies to the in-memory ledger and returns one finding per threshold crossed. */
    public List<Finding> record(BudgetContribution c, Severity severity) {
        State before = states.getOrDefault(c.ledgerKey(), State.EMPTY);
        Update u = apply(before, c);
        states.put(c.ledgerKey(), u.state());
        lastContribution.put(c.ledgerKey(), c);
        List<Finding> out = new ArrayList<>();
        for (int t : u.crossed()) {
            out.add(crossingFinding(c, u.state(), t, severity));
        }
        return out;
    }

    public Map<String, State> states() {
        return Map.copyOf(states);
    }

    /** The finding for one crossing; its id is the same on every run and in every job. */
    public static Finding crossingFinding(BudgetContribution c, State state, int threshold, Severity severity) {
        String who = c.scope().isEmpty() ? "all calls" : String.join(", ", c.scope().entrySet().stream()
                .map(e -> e.getKey() + " " + (e.getValue().isEmpty() ? "(unset)" : e.getValue())).toList());
        BigDecimal pct = c.limit().signum() == 0 ? BigDecimal.ZERO
                : state.spent().multiply(BigDecimal.valueOf(100)).divide(c.limit(), 1, RoundingMode.DOWN);
        String message = who + " spent " + Amounts.display(state.spent()) + " " + c.currency() + " of the " + c.period().id() + "ly budget "
                + Amounts.display(c.limit()) + " " + c.currency() + " for " + c.periodLabel() + " (" + pct.toPlainString() + "%), crossing the "
                + threshold + "% threshold; budget " + c.budgetId();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("budget_key", c.budgetKey());
        details.put("period", c.periodLabel());
        details.put("threshold_percent", Integer.toString(threshold));
        details.put("spent", Amounts.plain(state.spent()));
        details.put("limit", Amounts.plain(c.limit()));
        details.put("currency", c.currency());
        return new Finding(FindingIds.of(c.budgetKey(), c.periodLabel(), Integer.toString(threshold)), c.budgetId(), PolicyKind.BUDGET,
                severity, c.eventId(), message, details);
    }
}
