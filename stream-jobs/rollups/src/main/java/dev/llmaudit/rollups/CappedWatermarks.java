package dev.llmaudit.rollups;

import java.time.Clock;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Flink's bounded-out-of-orderness watermarks, capped at the wall clock plus the allowed skew. Far
 * future event times are dead-lettered at the source already; the cap makes sure no record the source
 * let through can move event time ahead of the present either. A watermark in the future would close
 * windows that are still receiving calls (every later call a correction), and the closed-window guard
 * would checkpoint it.
 */
final class CappedWatermarks<T> implements WatermarkGenerator<T> {
    private final long outOfOrdernessMillis;
    private final long skewMillis;
    private final Clock clock;
    private long maxTimestamp;

    CappedWatermarks(Duration outOfOrderness, Duration skew, Clock clock) {
        this.outOfOrdernessMillis = outOfOrderness.toMillis();
        this.skewMillis = skew.toMillis();
        this.clock = clock;
        this.maxTimestamp = Long.MIN_VALUE + outOfOrdernessMillis + 1;
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        maxTimestamp = Math.max(maxTimestamp, eventTimestamp);
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        output.emitWatermark(new Watermark(current()));
    }

    long current() {
        return Math.min(maxTimestamp - outOfOrdernessMillis - 1, clock.millis() + skewMillis);
    }
}
