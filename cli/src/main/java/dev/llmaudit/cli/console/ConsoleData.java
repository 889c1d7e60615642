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

    private final Map<String, UsageRollup> rollups = new HashMap<>();
    private final Map<String, BudgetStatus> budgets = new HashMap<>();
    private final Deque<PolicyViolation> violations = new ArrayDeque<>();
    private final Deque<DeadLetter> deadLetters = new ArrayDeque<>();
    private long version;
    private long droppedRollups;
    private long droppedViolations;
    private long droppedDeadLetters;

    public synchronized long version() {
        return version;
    }

    public synchronized void rollup(String key, UsageRollup r) {
        if (r == null || r.getXGranularity() == null || !r.getXGranularity().name().equals("hour")) {
            return; // hourly rows only: daily ones would count the same spend twice
        }
        rollups.put(key, r);
        if (rollups.size() > MAX_ROLLUPS) {
            // The oldest tenth of the windows in one pass, rather than a scan per new record at capacity.
            List<String> oldest = rollups.entrySet().stream().sorted(Comparator.comparing(e -> e.getValue().getChargePeriodStart()))
                    .limit(MAX_ROLLUPS / 10).map(Map.Entry::getKey).toList();
            oldest.forEach(rollups::remove);
            droppedRollups += oldest.size();
        }
        version++;
    }

    public synchronized void budget(String key, BudgetStatus b) {
        if (b != null) {
            budgets.put(key, b);
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
        deadLetters.addFirst(d);
        if (deadLetters.size() > MAX_DEAD_LETTERS) {
            deadLetters.removeLast();
            droppedDeadLetters++;
        }
        version++;
    }

    /** One point of a spend series: the hour, the dimension's value, exact list cost. */
    public record SpendPoint(Instant hour, String key, BigDecimal cost, String currency, boolean provisional) {}

    /** Hourly list cost by cloud, team or model (latest revisions plus corrections), oldest first. */
    public synchronized List<SpendPoint> spend(String by) {
        Map<String, SpendPoint> sums = new TreeMap<>();
        for (UsageRollup r : rollups.values()) {
            String key = switch (by) {
                case "team" -> r.getXTeam() == null ? "(no team)" : r.getXTeam();
                case "model" -> r.getXModel() == null ? "(no model)" : r.getXModel();
                default -> r.getXCloud() == null ? "(unknown)" : r.getXCloud().name();
            };
            String id = r.getChargePeriodStart() + "|" + key + "|" + r.getListCost().getCurrency();
            SpendPoint p = sums.get(id);
            BigDecimal cost = r.getListCost().getAmount();
            sums.put(id, new SpendPoint(r.getChargePeriodStart(), key, p == null ? cost : p.cost().add(cost), r.getListCost().getCurrency(),
                    (p != null && p.provisional()) || !r.getXIsFinal()));
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

    /** What the usage cost, and what the cheapest compliant route would have cost, per team and model. */
    public record Saving(String team, String model, String currency, BigDecimal cost, BigDecimal alternative, BigDecimal saving,
                         long calls, long withoutAlternative) {}

    public synchronized List<Saving> savings() {
        Map<String, Saving> out = new TreeMap<>();
        for (UsageRollup r : rollups.values()) {
            String team = r.getXTeam() == null ? "(no team)" : r.getXTeam();
            String model = r.getXModel() == null ? "(no model)" : r.getXModel();
            String id = team + "|" + model + "|" + r.getListCost().getCurrency();
            Saving s = out.getOrDefault(id, new Saving(team, model, r.getListCost().getCurrency(), BigDecimal.ZERO, BigDecimal.ZERO,
                    BigDecimal.ZERO, 0, 0));
            boolean known = r.getXCheapestAlternativeCost() != null;
            BigDecimal cost = r.getListCost().getAmount();
            out.put(id, new Saving(team, model, s.currency(), s.cost().add(cost),
                    known ? s.alternative().add(r.getXCheapestAlternativeCost().getAmount()) : s.alternative(),
                    known && r.getXPotentialSaving() != null ? s.saving().add(r.getXPotentialSaving().getAmount()) : s.saving(),
                    s.calls() + r.getXRequestCount(), s.withoutAlternative() + (known ? 0 : r.getXRequestCount())));
        }
        return new ArrayList<>(out.values());
    }

    public synchronized List<PolicyViolation> violations(Predicate<PolicyViolation> filter, int limit) {
        return violations.stream().filter(filter).limit(limit).toList();
    }

    public synchronized List<DeadLetter> deadLetters(int limit) {
        return deadLetters.stream().limit(limit).toList();
    }

    /** What was dropped to stay bounded: shown so nobody mistakes a window for the whole. */
    public synchronized Map<String, Long> dropped() {
        return Map.of("rollups", droppedRollups, "violations", droppedViolations, "dead_letters", droppedDeadLetters);
    }
}
