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
    /**
     * Set once the final revision fired. Watermarks are not checkpointed: after a restore the watermark starts
     * low, so "has the watermark passed the end" cannot tell that a window already closed; this flag can.
     */
    private final ValueStateDescriptor<Boolean> closed = new ValueStateDescriptor<>("final-fired", Types.BOOLEAN);

    /** @param intervalMillis early firings this often; 0 = none (final revisions only) */
    EarlyFiringTrigger(long intervalMillis) {
        this.intervalMillis = intervalMillis;
    }

    @Override
    public TriggerResult onElement(Object element, long timestamp, TimeWindow window, TriggerContext ctx) throws Exception {
        if (window.maxTimestamp() <= ctx.getCurrentWatermark()) {
            ctx.getPartitionedState(closed).update(true);
            return TriggerResult.FIRE; // late within the allowed lateness: a new final revision at once
        }
        ctx.registerEventTimeTimer(window.maxTimestamp());
        if (intervalMillis > 0 && !Boolean.TRUE.equals(ctx.getPartitionedState(closed).value())) {
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
        // A closed window fires on event time; an early (provisional) firing after its final revision would be wrong.
        boolean isClosed = Boolean.TRUE.equals(ctx.getPartitionedState(closed).value()) || window.maxTimestamp() <= ctx.getCurrentWatermark();
        return isClosed ? TriggerResult.CONTINUE : TriggerResult.FIRE;
    }

    @Override
    public TriggerResult onEventTime(long time, TimeWindow window, TriggerContext ctx) throws Exception {
        if (time != window.maxTimestamp()) {
            return TriggerResult.CONTINUE;
        }
        ctx.getPartitionedState(closed).update(true);
        return TriggerResult.FIRE;
    }

    @Override
    public void clear(TimeWindow window, TriggerContext ctx) throws Exception {
        ctx.deleteEventTimeTimer(window.maxTimestamp());
        ValueState<Long> armed = ctx.getPartitionedState(earlyTimer);
        if (armed.value() != null) {
            ctx.deleteProcessingTimeTimer(armed.value());
            armed.clear();
        }
        ctx.getPartitionedState(closed).clear();
    }

    @Override
    public String toString() {
        return "EarlyFiringTrigger(" + intervalMillis + " ms)";
    }
}
