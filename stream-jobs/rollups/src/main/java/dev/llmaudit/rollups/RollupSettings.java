package dev.llmaudit.rollups;

import java.io.Serializable;
import java.time.Duration;

/**
 * What the rollup operators need at run time; shipped inside the job graph.
 *
 * @param allowedLateness how long after a window's end late events still produce a new revision;
 *     later ones produce corrections
 * @param defaultCurrency billing currency of calls that carry no cost at all
 * @param earlyInterval provisional revisions of open windows at most this often (zero: none)
 */
public record RollupSettings(Duration allowedLateness, String defaultCurrency, Duration earlyInterval) implements Serializable {
    /** Without early firings: a window is written when it closes, then per late event. */
    public RollupSettings(Duration allowedLateness, String defaultCurrency) {
        this(allowedLateness, defaultCurrency, Duration.ZERO);
    }
}
