package dev.llmaudit.rollups;

/**
 * A window's (or a correction's) totals on their way to becoming a {@code UsageRollup}: the windows
 * count, and one operator that follows {@code llm.policies} adds the counterfactual with the bundle in
 * force when it is emitted. A Flink POJO; the accumulator travels with its own serializer.
 */
public class PendingRollup {
    public String rollupKey;
    /** {@code hour} or {@code day}. */
    public String granularity;
    public long windowStartMillis;
    public long windowEndMillis;
    public int revision;
    public boolean correction;
    /** False for a provisional revision of a window still open. */
    public boolean isFinal = true;
    public RollupAccumulator totals;

    public PendingRollup() {}

    PendingRollup(String rollupKey, String granularity, long windowStartMillis, long windowEndMillis, int revision, boolean correction,
                  RollupAccumulator totals) {
        this.rollupKey = rollupKey;
        this.granularity = granularity;
        this.windowStartMillis = windowStartMillis;
        this.windowEndMillis = windowEndMillis;
        this.revision = revision;
        this.correction = correction;
        this.totals = totals;
    }
}
