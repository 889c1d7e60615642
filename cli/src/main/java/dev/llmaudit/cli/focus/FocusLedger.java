package dev.llmaudit.cli.focus;

import dev.llmaudit.avro.UsageRollup;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the export holds: the last record of every rollup key, as the compacted topic keeps it (the
 * latest revision; every correction has its own key), of one granularity (hourly and daily rows of the
 * same calls in one dataset would count them twice), grouped by UTC day, with the days changed since
 * they were last written. Records that cannot be exported (see {@link FocusRows#problem}) are counted
 * and reported, not held.
 */
final class FocusLedger {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FocusLedger.class);
    private final String granularity;
    private final YearMonth since;
    private final Map<String, UsageRollup> latest = new HashMap<>();
    private final Map<LocalDate, Set<String>> byDay = new TreeMap<>();
    private final Set<LocalDate> changed = new TreeSet<>();
    private long invalid;
    private long revisionsBack;

    /**
     * @param granularity hour or day
     * @param since the first billing period kept, or null for all
     */
    FocusLedger(String granularity, YearMonth since) {
        this.granularity = granularity;
        this.since = since;
    }

    private YearMonth oldestKept;
    private final Set<YearMonth> evicted = new TreeSet<>();
    private long lateForEvicted;

    /**
     * Forgets the periods before this one (their files stay as last written). Records for a forgotten period that
     * arrive later are counted as late (they are not in its files); records for periods never held are out of scope.
     */
    void keepFrom(YearMonth first) {
        oldestKept = first;
        byDay.keySet().removeIf(d -> {
            if (!YearMonth.from(d).isBefore(first)) {
                return false;
            }
            byDay.get(d).forEach(latest::remove);
            changed.remove(d);
            evicted.add(YearMonth.from(d));
            return true;
        });
    }

    /** @return true when the record changed what the export holds */
    boolean add(String key, UsageRollup r) {
        if (r == null || r.getXGranularity() == null || !r.getXGranularity().name().equals(granularity)) {
            return false;
        }
        String problem = FocusRows.problem(r);
        if (problem != null) {
            invalid++;
            LOG.warn("rollup {} revision {} cannot be exported and is left out: {}", r.getXRollupKey(), r.getXRevision(), problem);
            return false;
        }
        LocalDate day = day(r);
        if (since != null && YearMonth.from(day).isBefore(since)) {
            return false;
        }
        if (oldestKept != null && YearMonth.from(day).isBefore(oldestKept)) {
            if (evicted.contains(YearMonth.from(day))) {
                lateForEvicted++;
                LOG.warn("rollup {} revision {} is for billing period {}, no longer kept (--periods): its files stay as last written",
                        r.getXRollupKey(), r.getXRevision(), YearMonth.from(day));
            }
            return false;
        }
        String k = key != null ? key : r.getXRollupKey();
        UsageRollup held = latest.get(k);
        if (r.equals(held)) {
            return false; // the same record again (a replay)
        }
        if (held != null && held.getXRevision() > r.getXRevision()) {
            // The topic's last record wins, as compaction keeps it and the console shows it; a revision going back
            // (a rollups job restarted without its state) is reported, as its totals may be partial.
            revisionsBack++;
            LOG.warn("rollup {} went back from revision {} to {} (rollups job restarted without state?); the later record is exported",
                    k, held.getXRevision(), r.getXRevision());
        }
        latest.put(k, r);
        byDay.computeIfAbsent(day, d -> new TreeSet<>()).add(k);
        changed.add(day);
        return true;
    }

    static LocalDate day(UsageRollup r) {
        return r.getChargePeriodStart().atZone(ZoneOffset.UTC).toLocalDate();
    }

    /** The days changed since the last call, and forgets that they were. */
    List<LocalDate> takeChanged() {
        List<LocalDate> days = new ArrayList<>(changed);
        changed.clear();
        return days;
    }

    /** Marks days as changed again (their write failed). */
    void markChanged(java.util.Collection<LocalDate> days) {
        changed.addAll(days);
    }

    /** The day's rollups in key order (so a rewritten file is the same bytes when nothing changed). */
    List<UsageRollup> rollups(LocalDate day) {
        List<UsageRollup> out = new ArrayList<>();
        for (String k : byDay.getOrDefault(day, Set.of())) {
            out.add(latest.get(k));
        }
        return out;
    }

    /** The days of a billing period that hold rollups. */
    List<LocalDate> days(YearMonth period) {
        return byDay.keySet().stream().filter(d -> YearMonth.from(d).equals(period)).toList();
    }

    int size() {
        return latest.size();
    }

    /** Records left out because they cannot be exported. */
    long invalid() {
        return invalid;
    }

    /** Records whose revision was lower than the one they replaced. */
    long revisionsBack() {
        return revisionsBack;
    }

    /** Records that arrived for a billing period after it was let go: not in its files. */
    long lateForEvicted() {
        return lateForEvicted;
    }
}
