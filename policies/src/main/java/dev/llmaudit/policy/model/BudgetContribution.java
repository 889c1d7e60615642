package dev.llmaudit.policy.model;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/**
 * What one call adds to one budget instance in one period, for the stateful jobs to accumulate
 * (the engine itself keeps no state).
 *
 * @param budgetKey the budget instance: policy id plus the values of its {@code per} attributes
 * @param scope those attribute values ({@code tenant=acme, team=search})
 * @param periodStart start of the calendar period of the call's own event time (inclusive)
 * @param periodEnd end of that period (exclusive)
 * @param amount exact amount to add; zero when unpriced
 * @param unpriced true when the call has no price on the budget's cost basis (counted, not added as $0)
 */
public record BudgetContribution(String budgetId, String budgetKey, Map<String, String> scope, BudgetPeriod period,
                                 String periodLabel, String timeZone, Instant periodStart, Instant periodEnd,
                                 BigDecimal amount, String currency, BigDecimal limit, java.util.List<Integer> thresholds,
                                 boolean unpriced, String eventId) {
    public BudgetContribution {
        scope = java.util.Collections.unmodifiableMap(scope); // a fresh map from the policy: wrapped, not copied
        thresholds = java.util.List.copyOf(thresholds);
    }

    /** Key of the budget instance and period: what a state store is keyed by. */
    public String ledgerKey() {
        return budgetKey + "|" + periodLabel;
    }
}
