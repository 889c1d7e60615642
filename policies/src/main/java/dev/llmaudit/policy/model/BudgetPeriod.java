package dev.llmaudit.policy.model;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;

/** Calendar period of a budget, in the budget's own time zone (weeks start on Monday, ISO-8601). */
public enum BudgetPeriod {
    DAY("day"), WEEK("week"), MONTH("month");

    private final String id;

    BudgetPeriod(String id) {
        this.id = id;
    }

    /** The name in policy files and records (computed once: it is asked for on every budget contribution). */
    public String id() {
        return id;
    }

    public static BudgetPeriod parse(String s) {
        for (BudgetPeriod p : values()) {
            if (p.id().equals(s)) {
                return p;
            }
        }
        return null;
    }

    /** Start (inclusive) of the period holding the instant. */
    public ZonedDateTime start(Instant t, ZoneId zone) {
        LocalDate d = t.atZone(zone).toLocalDate();
        LocalDate start = switch (this) {
            case DAY -> d;
            case WEEK -> d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> d.withDayOfMonth(1);
        };
        return start.atStartOfDay(zone);
    }

    /** End (exclusive) of the period starting at {@code start}. */
    public ZonedDateTime end(ZonedDateTime start) {
        return switch (this) {
            case DAY -> start.toLocalDate().plusDays(1).atStartOfDay(start.getZone());
            case WEEK -> start.toLocalDate().plusWeeks(1).atStartOfDay(start.getZone());
            case MONTH -> start.toLocalDate().plusMonths(1).atStartOfDay(start.getZone());
        };
    }

    /** A readable label of the period: 2026-11-26, 2026-W48, 2026-11. */
    public String label(ZonedDateTime start) {
        return switch (this) {
            case DAY -> start.toLocalDate().toString();
            case WEEK -> String.format("%d-W%02d", start.get(java.time.temporal.IsoFields.WEEK_BASED_YEAR),
                    start.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR));
            case MONTH -> start.toLocalDate().toString().substring(0, 7);
        };
    }
}
