package dev.llmaudit.cli.console;

import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the console shows, kept in memory from the four topics: the latest revision of every hourly
 * rollup and every correction (rollup key -> record, as a compacted topic reader keeps them), the
 * latest status of every budget period, and the most recent violations and dead letters. Bounded:
 * at most {@link #MAX_ROLLUPS} rollups (the oldest windows go first), {@link #MAX_VIOLATIONS}
 * violations and {@link #MAX_DEAD_LETTERS} dead letters; what was dropped is counted and shown.
 * Every change bumps {@link #version()}, which the page polls for live updates.
 */
public final class ConsoleData {
    public static final int MAX_ROLLUPS = 200_000;
    public static final int MAX_VIOLATIONS = 10_000;
    public static final int MAX_DEAD_LETTERS = 2_000;

    public static final int MAX_BUDGETS = 10_000;
    /** Dead-letter reasons are cut to this: a reason, not the record. */
    public static final int MAX_REASON = 500;

    /** What the pages use of a rollup: a few fields, not the record (200,000 of these are tens of MB, not half a GB). */
    record RollupView(Instant start, String cloud, String team, String model, BigDecimal cost, String currency, boolean isFinal,
                      BigDecimal alternative, BigDecimal saving, long calls, long unpriced) {
        static RollupView of(UsageRollup r) {
            return new RollupView(r.getChargePeriodStart(), r.getXCloud() == null ? null : r.getXCloud().name(), r.getXTeam(), r.getXModel(),
                    r.getListCost().getAmount(), r.getListCost().getCurrency(), r.getXIsFinal(),
                    r.getXCheapestAlternativeCost() == null ? null : r.getXCheapestAlternativeCost().getAmount(),
                    r.getXPotentialSaving() == null ? null : r.getXPotentialSaving().getAmount(), r.getXRequestCount(), r.getXUnpricedCount());
        }
    }

    /** A dead letter as the page shows it: where, when, why; not the record's bytes. */
    public record DeadLetterView(Instant failedAt, String stage, String error, String reason, String source) {
        static DeadLetterView of(DeadLetter d) {
            String reason = d.getErrorMessage() == null ? "" : d.getErrorMessage();
            return new DeadLetterView(d.getFailedAt(), d.getStage(), d.getErrorClass(),
                    reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) + "..." : reason,
                    d.getSourceTopic() + "/" + d.getSourcePartition() + "@" + d.getSourceOffset());
        }
    }

    private final Map<String, RollupView> rollups = new HashMap<>();
    private final Map<String, BudgetStatus> budgets = new HashMap<>();
    private final Deque<PolicyViolation> violations = new ArrayDeque<>();
    private final Deque<DeadLetterView> deadLetters = new ArrayDeque<>();
    private long version;
    private long droppedRollups;
    private long droppedViolations;
    private long droppedDeadLetters;

    public synchronized long version() {
        return version;
    }

    /** Forgets everything (the feed reads the topics again from their start). */
    public synchronized void clear() {
        rollups.clear();
        budgets.clear();
        violations.clear();
        deadLetters.clear();
        version++;
    }

    public synchronized void rollup(String key, UsageRollup r) {
        if (r == null || r.getXGranularity() == null || !r.getXGranularity().name().equals("hour")) {
            return; // hourly rows only: daily ones would count the same spend twice
        }
        rollups.put(key, RollupView.of(r));
        if (rollups.size() > MAX_ROLLUPS) {
            // The oldest tenth of the windows in one pass, rather than a scan per new record at capacity.
            List<String> oldest = rollups.entrySet().stream().sorted(Comparator.comparing(e -> e.getValue().start()))
                    .limit(MAX_ROLLUPS / 10).map(Map.Entry::getKey).toList();
            oldest.forEach(rollups::remove);
            droppedRollups += oldest.size();
        }
        version++;
    }

    public synchronized void budget(String key, BudgetStatus b) {
        if (b != null) {
            budgets.put(key, b);
            if (budgets.size() > MAX_BUDGETS) {
                String oldest = budgets.entrySet().stream().min(Comparator.comparing(e -> e.getValue().getPeriodStart())).orElseThrow().getKey();
                budgets.remove(oldest);
            }
            version++;
        }
    }

    public synchronized void violation(PolicyViolation v) {
        violations.addFirst(v);
        if (violations.size() > MAX_VIOLATIONS) {
            violations.removeLast();
            droppedViolations++;
        }
        version++;
    }

    public synchronized void deadLetter(DeadLetter d) {
        deadLetters.addFirst(DeadLetterView.of(d));
        if (deadLetters.size() > MAX_DEAD_LETTERS) {
            deadLetters.removeLast();
            droppedDeadLetters++;
        }
        version++;
    }

    /** One point of a spend series: the hour, the dimension's value, exact list cost, and calls with no price (not in the cost). */
    public record SpendPoint(Instant hour, String key, BigDecimal cost, String currency, boolean provisional, long unpricedCalls) {}

    /** Hourly list cost by cloud, team or model (latest revisions plus corrections), oldest first. */
    public synchronized List<SpendPoint> spend(String by) {
        Map<String, SpendPoint> sums = new TreeMap<>();
        for (RollupView r : rollups.values()) {
            String key = switch (by) {
                case "team" -> r.team() == null ? "(no team)" : r.team();
                case "model" -> r.model() == null ? "(no model)" : r.model();
                default -> r.cloud() == null ? "(unknown)" : r.cloud();
            };
            String id = r.start() + "|" + key + "|" + r.currency();
            SpendPoint p = sums.get(id);
            sums.put(id, new SpendPoint(r.start(), key, p == null ? r.cost() : p.cost().add(r.cost()), r.currency(),
                    (p != null && p.provisional()) || !r.isFinal(), (p == null ? 0 : p.unpricedCalls()) + r.unpriced()));
        }
        return new ArrayList<>(sums.values());
    }

    /** Budgets: the newest period of each budget. */
    public synchronized List<BudgetStatus> budgets() {
        Map<String, BudgetStatus> newest = new TreeMap<>();
        for (BudgetStatus b : budgets.values()) {
            String id = b.getBudgetId() + "|" + new TreeMap<>(b.getScope());
            BudgetStatus seen = newest.get(id);
            if (seen == null || b.getPeriodStart().isAfter(seen.getPeriodStart())) {
                newest.put(id, b);
            }
        }
        return new ArrayList<>(newest.values());
    }

    /**
     * What the usage cost, and what the cheapest compliant route would have cost, per team and model. The
     * comparison covers only the windows that have an alternative ({@code comparedCost} against
     * {@code alternative}); {@code cost} is everything, so the two are never mixed.
     */
    public record Saving(String team, String model, String currency, BigDecimal cost, BigDecimal comparedCost, BigDecimal alternative,
                         BigDecimal saving, long calls, long withoutAlternative) {}

    public synchronized List<Saving> savings() {
        Map<String, Saving> out = new TreeMap<>();
        for (RollupView r : rollups.values()) {
            String team = r.team() == null ? "(no team)" : r.team();
            String model = r.model() == null ? "(no model)" : r.model();
            String id = team + "|" + model + "|" + r.currency();
            Saving s = out.getOrDefault(id, new Saving(team, model, r.currency(), BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO,
                    BigDecimal.ZERO, 0, 0));
            boolean known = r.alternative() != null;
            out.put(id, new Saving(team, model, s.currency(), s.cost().add(r.cost()), known ? s.comparedCost().add(r.cost()) : s.comparedCost(),
                    known ? s.alternative().add(r.alternative()) : s.alternative(),
                    known && r.saving() != null ? s.saving().add(r.saving()) : s.saving(),
                    s.calls() + r.calls(), s.withoutAlternative() + (known ? 0 : r.calls())));
        }
        return new ArrayList<>(out.values());
    }

    /** Newest first by detection time (partitions are read in any order). */
    public synchronized List<PolicyViolation> violations(Predicate<PolicyViolation> filter, int limit) {
        return violations.stream().filter(filter).sorted(Comparator.comparing(PolicyViolation::getDetectedAt).reversed()).limit(limit).toList();
    }

    public synchronized List<DeadLetterView> deadLetters(int limit) {
        return deadLetters.stream().sorted(Comparator.comparing(DeadLetterView::failedAt).reversed()).limit(limit).toList();
    }

    /** What was dropped to stay bounded: shown so nobody mistakes a window for the whole. */
    public synchronized Map<String, Long> dropped() {
        return Map.of("rollups", droppedRollups, "violations", droppedViolations, "dead_letters", droppedDeadLetters);
    }
}
