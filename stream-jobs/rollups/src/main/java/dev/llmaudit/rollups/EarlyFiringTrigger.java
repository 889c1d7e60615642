package dev.llmaudit.rollups;

import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.windowing.triggers.Trigger;
import org.apache.flink.streaming.api.windowing.triggers.TriggerResult;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;

/**
 * Event-time firing as Flink's {@code EventTimeTrigger} (the final revision when the watermark
 * passes the window's end; one more for each late event within the allowed lateness), plus early
 * firings of a window still open: at most one per {@code interval} of processing time, and only
 * when events arrived since the last one (an open window that did not change is not written
 * again). The early timer is armed by the first event after a firing and cleared with the window,
 * so no timer outlives its window.
 */
final class EarlyFiringTrigger extends Trigger<Object, TimeWindow> {
    private final long intervalMillis;
    private final ValueStateDescriptor<Long> earlyTimer = new ValueStateDescriptor<>("early-firing-at", Types.LONG);

    /** @param intervalMillis early firings this often; 0 = none (final revisions only) */
    EarlyFiringTrigger(long intervalMillis) {
        this.intervalMillis = intervalMillis;
    }

    @Override
    public TriggerResult onElement(Object element, long timestamp, TimeWindow window, TriggerContext ctx) throws Exception {
        if (window.maxTimestamp() <= ctx.getCurrentWatermark()) {
            return TriggerResult.FIRE; // late within the allowed lateness: a new final revision at once
        }
        ctx.registerEventTimeTimer(window.maxTimestamp());
        if (intervalMillis > 0) {
            ValueState<Long> armed = ctx.getPartitionedState(earlyTimer);
            if (armed.value() == null) {
                long at = ctx.getCurrentProcessingTime() + intervalMillis;
                ctx.registerProcessingTimeTimer(at);
                armed.update(at);
            }
        }
        return TriggerResult.CONTINUE;
    }

    @Override
    public TriggerResult onProcessingTime(long time, TimeWindow window, TriggerContext ctx) throws Exception {
        ValueState<Long> armed = ctx.getPartitionedState(earlyTimer);
        if (armed.value() == null || armed.value() != time) {
            return TriggerResult.CONTINUE;
        }
        armed.clear();
        // A window the watermark has passed fires on event time; an early firing would only repeat it.
        return window.maxTimestamp() <= ctx.getCurrentWatermark() ? TriggerResult.CONTINUE : TriggerResult.FIRE;
    }

    @Override
    public TriggerResult onEventTime(long time, TimeWindow window, TriggerContext ctx) {
        return time == window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
    }

    @Override
    public void clear(TimeWindow window, TriggerContext ctx) throws Exception {
        ctx.deleteEventTimeTimer(window.maxTimestamp());
        ValueState<Long> armed = ctx.getPartitionedState(earlyTimer);
        if (armed.value() != null) {
            ctx.deleteProcessingTimeTimer(armed.value());
            armed.clear();
        }
    }

    @Override
    public String toString() {
        return "EarlyFiringTrigger(" + intervalMillis + " ms)";
    }
}
