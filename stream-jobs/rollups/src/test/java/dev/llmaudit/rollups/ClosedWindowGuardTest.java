package dev.llmaudit.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/** After a restore, windows that had closed before the checkpoint stay closed although watermarks start over. */
class ClosedWindowGuardTest {
    static final Instant DAY = Instant.parse("2026-11-02T00:00:00Z");
    static final Duration LATENESS = Duration.ofMinutes(30);

    final Map<RollupGranularity, OutputTag<UsageSample>> open = new EnumMap<>(RollupGranularity.class);
    final Map<RollupGranularity, OutputTag<UsageSample>> closed = new EnumMap<>(RollupGranularity.class);

    ClosedWindowGuardTest() {
        for (RollupGranularity g : RollupGranularity.values()) {
            open.put(g, ClosedWindowGuard.openTag(g));
            closed.put(g, ClosedWindowGuard.closedTag(g));
        }
    }

    KeyedOneInputStreamOperatorTestHarness<String, UsageSample, UsageSample> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new ClosedWindowGuard(LATENESS.toMillis(), open, closed),
                UsageSamples::keyOf, Types.STRING);
    }

    static void send(KeyedOneInputStreamOperatorTestHarness<String, UsageSample, UsageSample> h, String id, Instant t) throws Exception {
        UsageSample s = PricedEvents.sample(PricedEvents.call(id, t, 4, new Random(1)));
        h.processElement(new StreamRecord<>(s, t.toEpochMilli()));
    }

    static java.util.List<String> ids(KeyedOneInputStreamOperatorTestHarness<String, UsageSample, UsageSample> h, OutputTag<UsageSample> tag) {
        var out = h.getSideOutput(tag);
        return out == null ? java.util.List.of() : out.stream().map(r -> r.getValue().eventId).toList();
    }

    @Test
    void routesEventsOfWindowsClosedBeforeTheCheckpointToCorrectionsAfterARestore() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var before = harness()) {
            before.open();
            send(before, "first-run", DAY.plusSeconds(3600 * 10));
            assertThat(ids(before, open.get(RollupGranularity.hour))).containsExactly("first-run");
            // At 12:40 the 10:00 and 11:00 hours are closed (end + 30 min lateness <= 12:40); 12:00 is not.
            before.processWatermark(DAY.plus(Duration.ofHours(12).plusMinutes(40)).toEpochMilli());
            checkpoint = before.snapshot(1L, 0L);
        }
        try (var after = harness()) {
            after.initializeState(checkpoint);
            after.open();
            // Watermarks start over after a restore; without the guard these would reopen their hours.
            send(after, "ten", DAY.plus(Duration.ofHours(10).plusMinutes(5)));
            send(after, "eleven", DAY.plus(Duration.ofHours(11).plusMinutes(59)));
            send(after, "twelve", DAY.plus(Duration.ofHours(12).plusMinutes(1)));

            assertThat(ids(after, closed.get(RollupGranularity.hour))).containsExactly("ten", "eleven");
            assertThat(ids(after, open.get(RollupGranularity.hour))).containsExactly("twelve");
            // The day is still open: every event still counts in the daily window.
            assertThat(ids(after, open.get(RollupGranularity.day))).containsExactly("ten", "eleven", "twelve");
            assertThat(ids(after, closed.get(RollupGranularity.day))).isEmpty();
        }
    }

    /**
     * Why the guard exists: Flink restores window contents and timers but not the watermark, so a
     * restored window operator accepts an event for a window it had already emitted and purged, and
     * emits it as revision 0 of the same key with only that event in it. On a compacted topic that
     * record would replace the complete rollup.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aRestoredWindowOperatorAloneWouldReopenAPurgedWindow() throws Exception {
        Instant hour = DAY.plus(Duration.ofHours(10));
        java.util.function.Supplier<KeyedOneInputStreamOperatorTestHarness<String, UsageSample, PendingRollup>> windows = () -> {
            var env = org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment();
            var op = RollupJob.windows(env.fromData(UsageSample.class, new UsageSample()).keyBy(UsageSamples::keyOf, Types.STRING),
                    RollupGranularity.hour, new RollupSettings(LATENESS, "USD"), RollupJob.tooLateTag(RollupGranularity.hour));
            try {
                return new KeyedOneInputStreamOperatorTestHarness<>(
                        ((org.apache.flink.streaming.api.transformations.OneInputTransformation<UsageSample, PendingRollup>) op.getTransformation())
                                .getOperator(), UsageSamples::keyOf, Types.STRING);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        OperatorSubtaskState checkpoint;
        try (var before = windows.get()) {
            before.open();
            for (int i = 0; i < 5; i++) {
                UsageSample s = PricedEvents.sample(PricedEvents.call("w" + i, hour.plusSeconds(60L * i), 4, new Random(1)));
                before.processElement(new StreamRecord<>(s, s.eventTimeMillis));
            }
            before.processWatermark(hour.plus(Duration.ofHours(3)).toEpochMilli());
            assertThat(before.extractOutputValues()).extracting(p -> p.totals.requests()).containsExactly(5L);
            assertThat(before.numKeyedStateEntries()).isZero();
            checkpoint = before.snapshot(1L, 0L);
        }
        try (var after = windows.get()) {
            after.initializeState(checkpoint);
            after.open();
            UsageSample replayed = PricedEvents.sample(PricedEvents.call("replayed", hour.plusSeconds(600), 4, new Random(1)));
            after.processElement(new StreamRecord<>(replayed, replayed.eventTimeMillis));
            after.processWatermark(hour.plus(Duration.ofHours(3)).toEpochMilli());
            assertThat(after.extractOutputValues()).extracting(p -> p.revision, p -> p.totals.requests())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 1L));
        }
    }

    @Test
    void withoutARestoreEverythingIsLeftToTheWindows() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processWatermark(DAY.plus(Duration.ofDays(3)).toEpochMilli());
            send(h, "old", DAY.plusSeconds(60));
            // The window operator itself sends this to its too-late output; the guard only covers restores.
            assertThat(ids(h, open.get(RollupGranularity.hour))).containsExactly("old");
            assertThat(ids(h, closed.get(RollupGranularity.hour))).isEmpty();
        }
    }
}
