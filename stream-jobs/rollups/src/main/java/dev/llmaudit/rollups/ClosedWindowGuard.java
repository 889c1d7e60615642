package dev.llmaudit.rollups;

import dev.llmaudit.avro.RollupGranularity;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Keeps windows that were already closed closed after a restore.
 *
 * <p>Flink does not checkpoint watermarks: after a restore every operator starts again from no
 * watermark. A replayed event whose window was already emitted and purged before the checkpoint
 * (it was too late the first time) would then open a <em>fresh</em> window and be emitted as revision 0
 * of the same rollup key with only itself in it, replacing the complete rollup on the compacted topic
 * (a restore after the window closed would silently shrink a committed total).
 *
 * <p>This operator sits on the keyed stream right before the windows (same partitioning, same input
 * watermark), checkpoints the watermark it has seen, and after a restore routes events whose window
 * (per granularity) closed at or before that watermark to the "closed" output, which becomes a
 * correction, exactly as on the first run. Other events go to the "open" output of each granularity.
 * With aligned checkpoints every window subtask has the same watermark at the barrier (the minimum
 * over all sources), so the smallest stored value is exact, also when the job is rescaled.
 */
final class ClosedWindowGuard extends AbstractStreamOperator<UsageSample> implements OneInputStreamOperator<UsageSample, UsageSample> {
    private static final long serialVersionUID = 1L;

    private final long latenessMillis;
    private final EnumMap<RollupGranularity, OutputTag<UsageSample>> open = new EnumMap<>(RollupGranularity.class);
    private final EnumMap<RollupGranularity, OutputTag<UsageSample>> closed = new EnumMap<>(RollupGranularity.class);
    private transient ListState<Long> watermarkState;
    /** The watermark at the restored checkpoint; no window ending (plus lateness) at or before it may reopen. */
    private transient long restoredWatermark;
    private transient long watermark;

    ClosedWindowGuard(long latenessMillis, Map<RollupGranularity, OutputTag<UsageSample>> open,
                      Map<RollupGranularity, OutputTag<UsageSample>> closed) {
        this.latenessMillis = latenessMillis;
        this.open.putAll(open);
        this.closed.putAll(closed);
    }

    static OutputTag<UsageSample> openTag(RollupGranularity g) {
        return new OutputTag<>(g + "-open", Types.POJO(UsageSample.class));
    }

    static OutputTag<UsageSample> closedTag(RollupGranularity g) {
        return new OutputTag<>(g + "-closed-before-restore", Types.POJO(UsageSample.class));
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        watermarkState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("watermark-at-checkpoint", Types.LONG));
        restoredWatermark = Long.MIN_VALUE;
        watermark = Long.MIN_VALUE;
        if (context.isRestored()) {
            long min = Long.MAX_VALUE;
            for (Long w : watermarkState.get()) {
                min = Math.min(min, w);
            }
            restoredWatermark = min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        watermarkState.update(List.of(Math.max(watermark, restoredWatermark)));
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermark = Math.max(watermark, mark.getTimestamp());
        super.processWatermark(mark);
    }

    @Override
    public void processElement(StreamRecord<UsageSample> record) throws Exception {
        long ts = record.getValue().eventTimeMillis;
        for (RollupGranularity g : RollupGranularity.values()) {
            long size = RollupJob.WINDOWS.get(g).toMillis();
            long cleanup = TimeWindow.getWindowStartWithOffset(ts, 0, size) + size - 1 + latenessMillis;
            output.collect(cleanup <= restoredWatermark ? closed.get(g) : open.get(g), record);
        }
    }
}
