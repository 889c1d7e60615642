package dev.llmaudit.rollups;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;

/**
 * The rollups job graph, independent of where samples come from and where rollups go (tests feed
 * it from collections with hand-made watermarks; {@link RollupsMain} wires Kafka).
 *
 * <pre>
 * samples ─ split-rejected ─┬─ dead letters
 *                           └─ keyBy(dimensions) ─ closed-window guard ─┬─ hourly windows ─┬─ totals (revision 0, 1, ...)
 *                                                                       │                  └─ too late ─ corrections
 *                                                                       └─ daily windows ─ (same)
 * totals + corrections ─ build rollup (counterfactual with the bundle in force) ─ rollups
 *                                  ▲
 * llm.policies ────── broadcast ───┘
 * </pre>
 *
 * Every operator has a stable uid so a job restored from a checkpoint or savepoint finds its state.
 */
public final class RollupJob {
    /** Window sizes; day windows are UTC days. */
    public static final Map<RollupGranularity, Duration> WINDOWS = Map.of(
            RollupGranularity.hour, Duration.ofHours(1), RollupGranularity.day, Duration.ofDays(1));

    public static final TypeInformation<UsageRollup> ROLLUP_TYPE = new AvroTypeInfo<>(UsageRollup.class);
    public static final TypeInformation<DeadLetter> DEAD_LETTER_TYPE = new AvroTypeInfo<>(DeadLetter.class);
    static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", DEAD_LETTER_TYPE);

    /** What the job produces. */
    public record Outputs(DataStream<UsageRollup> rollups, DataStream<DeadLetter> deadLetters) {}

    private RollupJob() {}

    static OutputTag<UsageSample> tooLateTag(RollupGranularity g) {
        return new OutputTag<>(g + "-too-late", TypeInformation.of(UsageSample.class));
    }

    /** One granularity's tumbling event-time windows with allowed lateness; too-late events to the side output. */
    static SingleOutputStreamOperator<PendingRollup> windows(KeyedStream<UsageSample, String> byDimensions, RollupGranularity g,
                                                            RollupSettings settings, OutputTag<UsageSample> tooLate) {
        return byDimensions
                .window(TumblingEventTimeWindows.of(WINDOWS.get(g)))
                .trigger(new EarlyFiringTrigger(settings.earlyInterval().toMillis()))
                .allowedLateness(settings.allowedLateness())
                .sideOutputLateData(tooLate)
                .aggregate(new RollupFunctions.Aggregate(), new RollupFunctions.EmitRollup(g),
                        TypeInformation.of(RollupAccumulator.class), TypeInformation.of(RollupAccumulator.class), PENDING_TYPE)
                .uid(g + "-rollups").name(label(g) + " rollups");
    }

    static final TypeInformation<PendingRollup> PENDING_TYPE = TypeInformation.of(PendingRollup.class);

    private static String label(RollupGranularity g) {
        return g == RollupGranularity.hour ? "hourly" : "daily";
    }

    /**
     * @param samples usage samples with event-time timestamps and watermarks already assigned
     * @param bundles archives published on llm.policies (may be null: the shipped bundle then prices every counterfactual)
     * @param shippedArchive the packed policy bundle shipped with the job, in force until one is published (may be null)
     * @param clock stamps x_UpdatedAt and failed_at
     */
    public static Outputs build(DataStream<UsageSample> samples, DataStream<String> bundles, RollupSettings settings, String shippedArchive,
                                Clock clock) {
        SingleOutputStreamOperator<UsageSample> accepted = samples
                .process(new RollupFunctions.SplitRejected(DEAD_LETTERS, clock), TypeInformation.of(UsageSample.class))
                .uid("split-rejected").name("split rejected records");
        Map<RollupGranularity, OutputTag<UsageSample>> open = new EnumMap<>(RollupGranularity.class);
        Map<RollupGranularity, OutputTag<UsageSample>> closed = new EnumMap<>(RollupGranularity.class);
        for (RollupGranularity g : RollupGranularity.values()) {
            open.put(g, ClosedWindowGuard.openTag(g));
            closed.put(g, ClosedWindowGuard.closedTag(g));
        }
        SingleOutputStreamOperator<UsageSample> guarded = accepted.keyBy(UsageSamples::keyOf, Types.STRING)
                .transform("closed-window guard", Types.POJO(UsageSample.class),
                        new ClosedWindowGuard(settings.allowedLateness().toMillis(), open, closed))
                .uid("closed-window-guard");

        DataStream<PendingRollup> pending = null;
        for (RollupGranularity g : RollupGranularity.values()) {
            OutputTag<UsageSample> tooLate = tooLateTag(g);
            // The guard's outputs keep the keyed partitioning (same subtask), so they may be used as keyed again.
            KeyedStream<UsageSample, String> byDimensions =
                    DataStreamUtils.reinterpretAsKeyedStream(guarded.getSideOutput(open.get(g)), UsageSamples::keyOf, Types.STRING);
            SingleOutputStreamOperator<PendingRollup> rollups = windows(byDimensions, g, settings, tooLate);
            SingleOutputStreamOperator<PendingRollup> corrections = rollups.getSideOutput(tooLate).union(guarded.getSideOutput(closed.get(g)))
                    .process(new RollupFunctions.TooLateCorrection(g, WINDOWS.get(g)), PENDING_TYPE)
                    .uid(g + "-corrections").name(label(g) + " corrections");
            DataStream<PendingRollup> both = rollups.union(corrections);
            pending = pending == null ? both : pending.union(both);
        }
        // The counterfactual follows the bundle published on llm.policies (broadcast to every subtask).
        DataStream<String> published = bundles != null ? bundles
                : samples.getExecutionEnvironment().fromData(Types.STRING, "").filter(x -> false).name("no published bundles");
        SingleOutputStreamOperator<UsageRollup> built = pending.connect(published.broadcast(RollupFunctions.BUNDLES))
                .process(new RollupFunctions.BuildRollup(shippedArchive, clock), ROLLUP_TYPE)
                .uid("build-rollups").name("FOCUS rollups with counterfactual");
        // Rollups that could not be built (impossible sums) are dead letters, not job failures.
        DataStream<DeadLetter> deadLetters = accepted.getSideOutput(DEAD_LETTERS).union(built.getSideOutput(DEAD_LETTERS));
        return new Outputs(built, deadLetters);
    }
}
