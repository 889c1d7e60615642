package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import dev.llmaudit.policy.model.LlmCall;
import java.math.BigDecimal;
import java.time.Instant;
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
public final class BudgetPolicy implements Policy {
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

    private final PolicyMeta meta;
    private final List<String> per;
    private final BudgetPeriod period;
    private final ZoneId timeZone;
    private final BigDecimal limit;
    private final String currency;
    private final List<Integer> thresholds;
    private final CostBasis costBasis;
    /** Calendar arithmetic is the costliest part of a budget check and events come mostly in time order: keep the last window. */
    private final java.util.concurrent.atomic.AtomicReference<Window> lastWindow = new java.util.concurrent.atomic.AtomicReference<>();

    public BudgetPolicy(PolicyMeta meta, List<String> per, BudgetPeriod period, ZoneId timeZone, BigDecimal limit,
                        String currency, List<Integer> thresholds, CostBasis costBasis) {
        this.meta = meta;
        this.per = List.copyOf(per);
        this.period = period;
        this.timeZone = timeZone;
        this.limit = limit;
        this.currency = currency;
        this.thresholds = List.copyOf(thresholds);
        this.costBasis = costBasis;
        @SuppressWarnings("unchecked")
        java.util.function.Function<LlmCall, String>[] r = this.per.stream().map(Selector.ATTRIBUTES::get)
                .toArray(java.util.function.Function[]::new);
        this.readers = r;
    }

    @Override
    public PolicyMeta meta() {
        return meta;
    }

    public List<String> per() {
        return per;
    }

    public BudgetPeriod period() {
        return period;
    }

    public ZoneId timeZone() {
        return timeZone;
    }

    public BigDecimal limit() {
        return limit;
    }

    public String currency() {
        return currency;
    }

    public List<Integer> thresholds() {
        return thresholds;
    }

    public CostBasis costBasis() {
        return costBasis;
    }

    /** One calendar period: bounds and label. */
    private record Window(Instant start, Instant end, String label) {
        boolean contains(Instant t) {
            return !t.isBefore(start) && t.isBefore(end);
        }
    }

    private Window window(Instant t) {
        Window w = lastWindow.get();
        if (w != null && w.contains(t)) {
            return w;
        }
        ZonedDateTime start = period.start(t, timeZone);
        w = new Window(start.toInstant(), period.end(start).toInstant(), period.label(start));
        lastWindow.set(w);
        return w;
    }

    /** One budget instance (one value of the {@code per} attributes): its key and scope, built once. */
    private record Instance(String key, Map<String, String> scope) {}

    private final java.util.function.Function<LlmCall, String>[] readers;
    private final Map<List<String>, Instance> instances = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int INSTANCE_CACHE_LIMIT = 100_000;

    private Instance instance(String[] values) {
        Map<String, String> scope = new LinkedHashMap<>();
        StringBuilder key = new StringBuilder(meta.id());
        for (int i = 0; i < values.length; i++) {
            scope.put(per.get(i), values[i]);
            key.append('|').append(per.get(i)).append('=').append(values[i]);
        }
        Instance instance = new Instance(key.toString(), java.util.Collections.unmodifiableMap(scope));
        if (instances.size() < INSTANCE_CACHE_LIMIT) {
            instances.put(List.of(values), instance);
        }
        return instance;
    }

    @Override
    public void check(CheckContext ctx) {
        LlmCall c = ctx.call();
        String[] values = new String[per.size()];
        for (int i = 0; i < values.length; i++) {
            String value = readers[i].apply(c);
            values[i] = value == null ? "" : value;
        }
        Instance instance = instances.get(java.util.Arrays.asList(values));
        if (instance == null) {
            instance = instance(values);
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
        Window w = window(c.eventTime());
        ctx.add(new BudgetContribution(meta.id(), instance.key(), instance.scope(), period, w.label(), timeZone.getId(),
                w.start(), w.end(), amount == null ? BigDecimal.ZERO : amount, currency, limit,
                thresholds, amount == null, c.eventId()));
    }
}
