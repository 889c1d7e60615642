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
     * Emits the window's totals each time it fires: provisional revisions while it is open (early
     * firings, {@code x_IsFinal} false), the final one when the watermark passes the window's end,
     * then one more per late event within the allowed lateness. Revisions count every emission from 0;
     * the counter is per-window state, cleared with the window.
     */
    static final class EmitRollup extends ProcessWindowFunction<RollupAccumulator, PendingRollup, String, TimeWindow> {
        private final RollupGranularity granularity;
        private final ValueStateDescriptor<Integer> revisionState = new ValueStateDescriptor<>("revision", Types.INT);

        EmitRollup(RollupGranularity granularity) {
            this.granularity = granularity;
        }

        @Override
        public void process(String key, Context ctx, Iterable<RollupAccumulator> totals, Collector<PendingRollup> out) throws Exception {
            ValueState<Integer> revision = ctx.windowState().getState(revisionState);
            int next = revision.value() == null ? 0 : revision.value() + 1;
            revision.update(next);
            TimeWindow w = ctx.window();
            // A copy: the window keeps updating its accumulator in place while this one travels downstream.
            PendingRollup p = new PendingRollup(Rollups.rollupKey(granularity, w.getStart(), key), granularity.name(), w.getStart(), w.getEnd(),
                    next, false, RollupAccumulatorSerializer.INSTANCE.copy(totals.iterator().next()));
            p.isFinal = ctx.currentWatermark() >= w.maxTimestamp();
            out.collect(p);
        }

        @Override
        public void clear(Context ctx) throws Exception {
            ctx.windowState().getState(revisionState).clear();
        }
    }

    /**
     * Turns an event that arrived after its window's allowed lateness into a correction for that window
     * (its own key, so compaction keeps every correction). Never a silent drop.
     */
    static final class TooLateCorrection extends ProcessFunction<UsageSample, PendingRollup> {
        private final RollupGranularity granularity;
        private final long windowMillis;
        private transient org.apache.flink.metrics.Counter corrections;

        TooLateCorrection(RollupGranularity granularity, Duration window) {
            this.granularity = granularity;
            this.windowMillis = window.toMillis();
        }

        @Override
        public void open(OpenContext context) {
            corrections = getRuntimeContext().getMetricGroup().addGroup("granularity", granularity.name()).counter("llm_audit_rollups_late_corrections");
        }

        @Override
        public void processElement(UsageSample s, Context ctx, Collector<PendingRollup> out) {
            corrections.inc();
            long start = TimeWindow.getWindowStartWithOffset(s.eventTimeMillis, 0, windowMillis);
            String key = Rollups.correctionKey(Rollups.rollupKey(granularity, start, UsageSamples.keyOf(s)), s.eventId);
            out.collect(new PendingRollup(key, granularity.name(), start, start + windowMillis, 0, true, new RollupAccumulator().add(s)));
        }
    }

    /** The broadcast state holding the latest valid bundle archive published on llm.policies (key {@code current}). */
    static final org.apache.flink.api.common.state.MapStateDescriptor<String, String> BUNDLES =
            new org.apache.flink.api.common.state.MapStateDescriptor<>("policy-bundles", Types.STRING, Types.STRING);

    /**
     * Builds the FOCUS rollup, with the counterfactual priced by the bundle in force: the latest valid one
     * published on {@code llm.policies} (broadcast state, so every subtask and every restore agrees), else
     * the one shipped with the job. An invalid published bundle is refused, counted and logged; the last
     * good one stays. A rollup that cannot be built exactly is a dead letter, never an exception that
     * would restart the job into the same window.
     */
    static final class BuildRollup extends org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction<PendingRollup, String, UsageRollup> {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BuildRollup.class);
        private final String shippedArchive;
        private final Clock clock;
        private transient PolicyBundle shipped;
        private transient String loadedArchive;
        private transient PolicyBundle loaded;
        private transient org.apache.flink.metrics.Counter refused;
        private transient org.apache.flink.metrics.Counter deadLetters;

        BuildRollup(String shippedArchive, Clock clock) {
            this.shippedArchive = shippedArchive;
            this.clock = clock;
        }

        @Override
        public void open(OpenContext context) {
            AvroTrust.trustGeneratedClasses();
            shipped = bundle(shippedArchive);
            refused = getRuntimeContext().getMetricGroup().counter("llm_audit_rollups_bundles_refused");
            deadLetters = getRuntimeContext().getMetricGroup().counter("llm_audit_rollups_unbuildable");
        }

        @Override
        public void processBroadcastElement(String archive, Context ctx, Collector<UsageRollup> out) throws Exception {
            if (archive == null) {
                return;
            }
            BundleLoader.Result r;
            try {
                r = BundleArchive.load(archive);
            } catch (RuntimeException e) {
                r = null;
            }
            if (r == null || !r.ok()) {
                refused.inc();
                LOG.error("Refusing a policy bundle from the policies topic for the counterfactual ({}); the last good one stays",
                        r == null ? "not a bundle archive" : r.problems().size() + " problems, first: " + r.problems().get(0));
                return;
            }
            ctx.getBroadcastState(BUNDLES).put("current", archive);
        }

        @Override
        public void processElement(PendingRollup p, ReadOnlyContext ctx, Collector<UsageRollup> out) throws Exception {
            PolicyBundle bundle = inForce(ctx.getBroadcastState(BUNDLES).get("current"));
            try {
                out.collect(Rollups.build(p, bundle, clock.instant()));
            } catch (RuntimeException e) {
                deadLetters.inc();
                ctx.output(RollupJob.DEAD_LETTERS, emitFailed(p.rollupKey, e, clock));
            }
        }

        private PolicyBundle inForce(String archive) {
            if (archive == null) {
                return shipped;
            }
            if (!archive.equals(loadedArchive)) {
                loaded = bundle(archive);
                loadedArchive = archive;
            }
            return loaded;
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

        private transient java.util.Map<String, org.apache.flink.metrics.Counter> deadLetterCounts;
        private transient org.apache.flink.metrics.Counter unpriced;

        @Override
        public void open(OpenContext context) {
            AvroTrust.trustGeneratedClasses();
            deadLetterCounts = new java.util.HashMap<>();
            unpriced = getRuntimeContext().getMetricGroup().counter("llm_audit_rollups_unpriced_calls");
        }

        @Override
        public void processElement(UsageSample s, Context ctx, Collector<UsageSample> out) {
            if (!s.isRejected()) {
                if (s.isUnpriced()) {
                    unpriced.inc();
                }
                out.collect(s);
                return;
            }
            UsageSample.Rejected r = s.rejected;
            deadLetterCounts.computeIfAbsent(r.stage, stage -> getRuntimeContext().getMetricGroup().addGroup("stage", stage)
                    .counter("llm_audit_rollups_dead_letters")).inc();
            ctx.output(deadLetters, dev.llmaudit.jobs.DeadLetters.of(r.stage, r.errorClass, r.errorMessage, r.topic, r.partition, r.offset,
                    r.key, r.value, clock.instant()));
        }
    }
}
