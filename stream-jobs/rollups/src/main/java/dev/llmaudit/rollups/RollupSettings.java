package dev.llmaudit.rollups;

import java.io.Serializable;
import java.time.Duration;

/**
 * What the rollup operators need at run time; shipped inside the job graph.
 *
 * @param allowedLateness how long after a window's end late events still produce a new revision;
 *     later ones produce corrections
 * @param defaultCurrency billing currency of calls that carry no cost at all
 */
public record RollupSettings(Duration allowedLateness, String defaultCurrency) implements Serializable {}
