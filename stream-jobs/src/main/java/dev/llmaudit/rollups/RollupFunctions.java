package dev.llmaudit.rollups;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.schemas.AvroTrust;
import java.time.Clock;
import java.time.Duration;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** The rollup job's operators. Each is small and has no Kafka in it; the job wires them. */
final class RollupFunctions {
    private RollupFunctions() {}

    /** Loads the shipped bundle archive once per operator instance (the counterfactual's catalogs). */
    static PolicyBundle bundle(String archive) {
        if (archive == null) {
            return null;
        }
        BundleLoader.Result r = BundleArchive.load(archive);
        if (!r.ok()) {
            throw new IllegalStateException("the policy bundle shipped with the job is invalid: " + r.problems());
        }
        return r.bundle();
    }

    /** Adds samples to the window's running totals (Flink keeps one accumulator per key and window). */
    static final class Aggregate implements AggregateFunction<UsageSample, RollupAccumulator, RollupAccumulator> {
        @Override
        public RollupAccumulator createAccumulator() {
            return new RollupAccumulator();
        }

        @Override
        public RollupAccumulator add(UsageSample value, RollupAccumulator acc) {
            return acc.add(value);
        }

        @Override
        public RollupAccumulator getResult(RollupAccumulator acc) {
            return acc;
        }

        @Override
        public RollupAccumulator merge(RollupAccumulator a, RollupAccumulator b) {
            return a.merge(b);
        }
    }

    /**
     * Emits the window's rollup each time it fires: revision 0 when the watermark passes the window's
     * end, then one more revision per late event within the allowed lateness. The revision counter is
     * per-window state, cleared with the window.
     */
    static final class EmitRollup extends ProcessWindowFunction<RollupAccumulator, UsageRollup, String, TimeWindow> {
        private final RollupGranularity granularity;
        private final String bundleArchive;
        private final Clock clock;
        private final ValueStateDescriptor<Integer> revisionState = new ValueStateDescriptor<>("revision", Types.INT);
        private transient PolicyBundle bundle;

        EmitRollup(RollupGranularity granularity, String bundleArchive, Clock clock) {
            this.granularity = granularity;
            this.bundleArchive = bundleArchive;
            this.clock = clock;
        }

        @Override
        public void open(OpenContext context) {
            AvroTrust.trustGeneratedClasses();
            bundle = bundle(bundleArchive);
        }

        @Override
        public void process(String key, Context ctx, Iterable<RollupAccumulator> totals, Collector<UsageRollup> out) throws Exception {
            ValueState<Integer> revision = ctx.windowState().getState(revisionState);
            int next = revision.value() == null ? 0 : revision.value() + 1;
            revision.update(next);
            RollupAccumulator acc = totals.iterator().next();
            TimeWindow w = ctx.window();
            String rollupKey = Rollups.rollupKey(granularity, w.getStart(), key);
            try {
                out.collect(Rollups.build(rollupKey, granularity, w.getStart(), w.getEnd(), acc, next, false, bundle, clock.instant()));
            } catch (RuntimeException e) {
                // Never an exception out of here: the job would restart into the same window and fail again.
                ctx.output(RollupJob.DEAD_LETTERS, emitFailed(rollupKey, e, clock));
            }
        }

        @Override
        public void clear(Context ctx) throws Exception {
            ctx.windowState().getState(revisionState).clear();
        }
    }

    /**
     * Turns an event that arrived after its window's allowed lateness into a correction record for
     * that window (its own key, so compaction keeps every correction). Never a silent drop.
     */
    static final class TooLateCorrection extends ProcessFunction<UsageSample, UsageRollup> {
        private final RollupGranularity granularity;
        private final long windowMillis;
        private final String bundleArchive;
        private final Clock clock;
        private transient PolicyBundle bundle;

        TooLateCorrection(RollupGranularity granularity, Duration window, String bundleArchive, Clock clock) {
            this.granularity = granularity;
            this.windowMillis = window.toMillis();
            this.bundleArchive = bundleArchive;
            this.clock = clock;
        }

        @Override
        public void open(OpenContext context) {
            AvroTrust.trustGeneratedClasses();
            bundle = bundle(bundleArchive);
        }

        @Override
        public void processElement(UsageSample s, Context ctx, Collector<UsageRollup> out) {
            long start = TimeWindow.getWindowStartWithOffset(s.eventTimeMillis, 0, windowMillis);
            String key = Rollups.correctionKey(Rollups.rollupKey(granularity, start, UsageSamples.keyOf(s)), s.eventId);
            try {
                out.collect(Rollups.build(key, granularity, start, start + windowMillis, new RollupAccumulator().add(s), 0, true, bundle,
                        clock.instant()));
            } catch (RuntimeException e) {
                ctx.output(RollupJob.DEAD_LETTERS, emitFailed(key, e, clock));
            }
        }
    }

    /** A rollup or correction that could not be built: a dead letter keyed by the rollup key, with the reason. */
    static DeadLetter emitFailed(String rollupKey, RuntimeException e, Clock clock) {
        return dev.llmaudit.jobs.DeadLetters.of("rollup-emit", e.getClass().getSimpleName(), dev.llmaudit.jobs.DeadLetters.reason(e),
                null, null, null, rollupKey.getBytes(java.nio.charset.StandardCharsets.UTF_8), null, clock.instant());
    }

    /** Sends records that could not be read to the dead-letter side output with their reason and origin. */
    static final class SplitRejected extends ProcessFunction<UsageSample, UsageSample> {
        private final OutputTag<DeadLetter> deadLetters;
        private final Clock clock;

        SplitRejected(OutputTag<DeadLetter> deadLetters, Clock clock) {
            this.deadLetters = deadLetters;
            this.clock = clock;
        }

        @Override
        public void open(OpenContext context) {
            AvroTrust.trustGeneratedClasses();
        }

        @Override
        public void processElement(UsageSample s, Context ctx, Collector<UsageSample> out) {
            if (!s.isRejected()) {
                out.collect(s);
                return;
            }
            UsageSample.Rejected r = s.rejected;
            ctx.output(deadLetters, dev.llmaudit.jobs.DeadLetters.of(r.stage, r.errorClass, r.errorMessage, r.topic, r.partition, r.offset,
                    r.key, r.value, clock.instant()));
        }
    }
}
