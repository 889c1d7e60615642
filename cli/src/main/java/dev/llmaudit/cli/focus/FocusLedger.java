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
 * What the export holds: the latest revision of every rollup key plus every correction (each has its
 * own key), of one granularity (hourly and daily rows of the same calls in one dataset would count
 * them twice), grouped by UTC day, with the days changed since they were last written.
 */
final class FocusLedger {
    private final String granularity;
    private final YearMonth since;
    private final Map<String, UsageRollup> latest = new HashMap<>();
    private final Map<LocalDate, Set<String>> byDay = new TreeMap<>();
    private final Set<LocalDate> changed = new TreeSet<>();
    private long ignoredStale;

    /**
     * @param granularity hour or day
     * @param since the first billing period kept, or null for all
     */
    FocusLedger(String granularity, YearMonth since) {
        this.granularity = granularity;
        this.since = since;
    }

    /** @return true when the record changed what the export holds */
    boolean add(String key, UsageRollup r) {
        if (r == null || r.getXGranularity() == null || !r.getXGranularity().name().equals(granularity)) {
            return false;
        }
        LocalDate day = day(r);
        if (since != null && YearMonth.from(day).isBefore(since)) {
            return false;
        }
        String k = key != null ? key : r.getXRollupKey();
        UsageRollup held = latest.get(k);
        if (held != null && held.getXRevision() > r.getXRevision()) {
            ignoredStale++; // an older revision read after a newer one: the newer stays
            return false;
        }
        if (r.equals(held)) {
            return false; // the same record again (a replay)
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

    boolean hasChanges() {
        return !changed.isEmpty();
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

    long ignoredStale() {
        return ignoredStale;
    }
}
