package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import dev.llmaudit.policy.model.LlmCall;
import java.math.BigDecimal;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A spend budget per distinct value of the {@code per} attributes (e.g. per tenant and team),
 * optionally limited by the selector (e.g. one cloud), over a calendar period in a time zone, with
 * alert thresholds in percent of the limit. The engine only emits contributions; accumulation and
 * threshold crossing (once per budget instance, period and threshold) happen in {@code BudgetLedger}
 * or the stateful jobs.
 */
public record BudgetPolicy(PolicyMeta meta, List<String> per, BudgetPeriod period, ZoneId timeZone, BigDecimal limit,
                           String currency, List<Integer> thresholds, CostBasis costBasis) implements Policy {
    /** Which cost a budget counts. */
    public enum CostBasis {
        /** The catalog list price (default). */
        CATALOG,
        /** The gateway-reported cost; calls without one are unpriced. */
        REPORTED,
        /** The reported cost when present, else the catalog price. */
        REPORTED_OR_CATALOG;

        public static CostBasis parse(String s) {
            for (CostBasis b : values()) {
                if (b.name().equalsIgnoreCase(s)) {
                    return b;
                }
            }
            return null;
        }
    }

    public BudgetPolicy {
        per = List.copyOf(per);
        thresholds = List.copyOf(thresholds);
    }

    @Override
    public void check(CheckContext ctx) {
        LlmCall c = ctx.call();
        Map<String, String> scope = new LinkedHashMap<>();
        StringBuilder key = new StringBuilder(meta.id());
        for (String attribute : per) {
            String value = Selector.ATTRIBUTES.get(attribute).apply(c);
            scope.put(attribute, value == null ? "" : value);
            key.append('|').append(attribute).append('=').append(value == null ? "" : value);
        }
        BigDecimal amount = null;
        boolean reportedUsable = c.reportedCost() != null && currency.equals(c.reportedCurrency());
        switch (costBasis) {
            case CATALOG -> amount = ctx.pricing().total();
            case REPORTED -> amount = reportedUsable ? c.reportedCost() : null;
            case REPORTED_OR_CATALOG -> amount = reportedUsable ? c.reportedCost() : ctx.pricing().total();
        }
        if (amount != null && costBasis != CostBasis.REPORTED && !reportedUsable && !currency.equals(ctx.prices().currency())) {
            amount = null; // catalog currency differs from the budget's: no FX rates, so unpriced rather than wrong
        }
        ZonedDateTime start = period.start(c.eventTime(), timeZone);
        ctx.add(new BudgetContribution(meta.id(), key.toString(), scope, period, period.label(start), timeZone.getId(),
                start.toInstant(), period.end(start).toInstant(), amount == null ? BigDecimal.ZERO : amount, currency, limit,
                thresholds, amount == null, c.eventId()));
    }
}
