package dev.llmaudit.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hourly window operator exactly as the job builds it, driven by hand-made watermarks: on-time
 * emission, revisions for late events, the too-late side output, and nothing left behind.
 */
class RollupWindowsHarnessTest {
    static final Instant HOUR = Instant.parse("2026-11-02T10:00:00Z");
    static final Duration LATENESS = Duration.ofMinutes(30);
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-02T12:00:00Z"), ZoneOffset.UTC);

    final OutputTag<UsageSample> tooLate = RollupJob.tooLateTag(RollupGranularity.hour);
    KeyedOneInputStreamOperatorTestHarness<String, UsageSample, PendingRollup> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = hourlyWindows(Duration.ZERO, null);
    }

    /**
     * The hourly window operator exactly as the job builds it, with early firings this often (zero: none),
     * restored from a snapshot when one is given.
     */
    @SuppressWarnings("unchecked")
    KeyedOneInputStreamOperatorTestHarness<String, UsageSample, PendingRollup> hourlyWindows(
            Duration early, org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SingleOutputStreamOperator<PendingRollup> windows = RollupJob.windows(
                env.fromData(UsageSample.class, PricedEvents.sample(call("seed", HOUR, 4))).keyBy(UsageSamples::keyOf, Types.STRING),
                RollupGranularity.hour, new RollupSettings(LATENESS, "USD", early), tooLate);
        OneInputStreamOperator<UsageSample, PendingRollup> operator =
                ((OneInputTransformation<UsageSample, PendingRollup>) windows.getTransformation()).getOperator();
        var h = new KeyedOneInputStreamOperatorTestHarness<>(operator, UsageSamples::keyOf, Types.STRING);
        if (snapshot != null) {
            h.initializeState(snapshot);
        }
        h.open();
        return h;
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    static LlmCallEvent call(String id, Instant t, int kind) {
        return PricedEvents.call(id, t, kind, new Random(id.hashCode()));
    }

    void send(String id, Instant t) throws Exception {
        harness.processElement(new StreamRecord<>(PricedEvents.sample(call(id, t, 4)), t.toEpochMilli()));
    }

    /** What the job's build step makes of the window's output (the counterfactual with the shipped bundle). */
    static UsageRollup built(PendingRollup p) {
        return Rollups.build(p, PricedEvents.ENGINE.bundle(), CLOCK.instant());
    }

    List<UsageRollup> output() {
        return harness.extractOutputValues().stream().map(RollupWindowsHarnessTest::built).toList();
    }

    static BigDecimal cost(String id, Instant t) {
        return PricedEvents.sample(call(id, t, 4)).cost;
    }

    @Test
    void emitsOnTimeThenOneRevisionPerLateEventThenSendsTooLateEventsAside() throws Exception {
        send("a", HOUR.plusSeconds(60));
        send("b", HOUR.plusSeconds(1800));
        send("next-hour", HOUR.plusSeconds(3700));
        assertThat(output()).as("nothing before the watermark passes the hour").isEmpty();

        harness.processWatermark(HOUR.plusSeconds(3600).toEpochMilli());
        List<UsageRollup> out = output();
        assertThat(out).hasSize(1);
        UsageRollup first = out.get(0);
        assertThat(first.getXRevision()).isZero();
        assertThat(first.getXRequestCount()).isEqualTo(2);
        assertThat(first.getListCost().getAmount()).isEqualByComparingTo(cost("a", HOUR.plusSeconds(60)).add(cost("b", HOUR.plusSeconds(1800))));
        assertThat(first.getChargePeriodStart()).isEqualTo(HOUR);
        assertThat(first.getXUpdatedAt()).isEqualTo(CLOCK.instant());

        // Late but within the allowed lateness: the same key again, revision 1, with the new totals.
        harness.processWatermark(HOUR.plusSeconds(3600 + 600).toEpochMilli());
        send("late", HOUR.plusSeconds(900));
        out = output();
        assertThat(out).hasSize(2);
        UsageRollup revised = out.get(1);
        assertThat(revised.getXRollupKey()).isEqualTo(first.getXRollupKey());
        assertThat(revised.getXRevision()).isEqualTo(1);
        assertThat(revised.getXRequestCount()).isEqualTo(3);
        assertThat(revised.getListCost().getAmount())
                .isEqualByComparingTo(first.getListCost().getAmount().add(cost("late", HOUR.plusSeconds(900))));

        // Past the allowed lateness: the window is gone; the event goes to the too-late output.
        harness.processWatermark(HOUR.plusSeconds(3600).plus(LATENESS).toEpochMilli());
        send("too-late", HOUR.plusSeconds(1200));
        assertThat(output()).hasSize(2);
        assertThat(harness.getSideOutput(tooLate)).extracting(r -> r.getValue().eventId).containsExactly("too-late");
    }

    @Test
    void anOpenWindowIsWrittenProvisionallyOncePerIntervalWhenItChangedThenFinally() throws Exception {
        harness.close();
        harness = hourlyWindows(Duration.ofMinutes(1), null);
        harness.setProcessingTime(0);
        send("a", HOUR.plusSeconds(60));
        assertThat(output()).isEmpty();

        harness.setProcessingTime(60_000);
        List<UsageRollup> out = output();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getXIsFinal()).isFalse();
        assertThat(out.get(0).getXRevision()).isZero();
        assertThat(out.get(0).getXRequestCount()).isEqualTo(1);

        harness.setProcessingTime(180_000);
        assertThat(output()).as("no new calls: the open window is not written again").hasSize(1);

        send("b", HOUR.plusSeconds(120));
        send("c", HOUR.plusSeconds(180));
        harness.setProcessingTime(240_000);
        out = output();
        assertThat(out).hasSize(2);
        assertThat(out.get(1).getXIsFinal()).isFalse();
        assertThat(out.get(1).getXRevision()).isEqualTo(1);
        assertThat(out.get(1).getXRequestCount()).isEqualTo(3);
        assertThat(out.get(1).getListCost().getAmount()).isEqualByComparingTo(cost("a", HOUR.plusSeconds(60))
                .add(cost("b", HOUR.plusSeconds(120))).add(cost("c", HOUR.plusSeconds(180))));

        // An event after the last early firing, then the watermark closes the hour: the final revision has it all.
        send("d", HOUR.plusSeconds(240));
        harness.processWatermark(HOUR.plusSeconds(3600).toEpochMilli());
        out = output();
        assertThat(out).hasSize(3);
        UsageRollup last = out.get(2);
        assertThat(last.getXIsFinal()).isTrue();
        assertThat(last.getXRevision()).isEqualTo(2);
        assertThat(last.getXRequestCount()).isEqualTo(4);
        assertThat(last.getXRollupKey()).isEqualTo(out.get(0).getXRollupKey());

        // The early timer armed by "d" does not fire a closed window again; a late event is a final revision at once.
        harness.setProcessingTime(600_000);
        assertThat(output()).hasSize(3);
        send("late", HOUR.plusSeconds(300));
        assertThat(output()).hasSize(4);
        assertThat(output().get(3).getXIsFinal()).isTrue();
        assertThat(output().get(3).getXRevision()).isEqualTo(3);

        // The next hour: an early timer still pending when the watermark jumps past the window and its lateness.
        send("next", HOUR.plusSeconds(3700));
        assertThat(harness.numProcessingTimeTimers()).isPositive();
        harness.processWatermark(HOUR.plusSeconds(7200).plus(LATENESS).toEpochMilli());
        assertThat(output().get(output().size() - 1).getXIsFinal()).isTrue();
        assertThat(harness.numKeyedStateEntries()).as("window, revision and early-timer state cleared").isZero();
        assertThat(harness.numProcessingTimeTimers()).as("no early timer outlives its window").isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    /**
     * Watermarks are not checkpointed: after a restore the watermark starts low. A late event for a window whose
     * final revision was written must not arm a provisional one (its early firing would claim the closed window is open).
     */
    @Test
    void aWindowRestoredAfterItsFinalRevisionGetsNoProvisionalOne() throws Exception {
        harness.close();
        harness = hourlyWindows(Duration.ofMinutes(1), null);
        harness.setProcessingTime(0);
        send("a", HOUR.plusSeconds(60));
        harness.processWatermark(HOUR.plusSeconds(3600).toEpochMilli());
        assertThat(output()).singleElement().satisfies(r -> assertThat(r.getXIsFinal()).isTrue());
        var snapshot = harness.snapshot(1, 1);
        harness.close();

        harness = hourlyWindows(Duration.ofMinutes(1), snapshot);
        harness.setProcessingTime(1_000_000);
        send("late-after-restore", HOUR.plusSeconds(120));   // the restored watermark is low: not yet known as late
        harness.setProcessingTime(1_000_000 + 120_000);
        assertThat(output()).as("no provisional revision of a closed window").isEmpty();
        harness.processWatermark(HOUR.plusSeconds(3700).toEpochMilli());
        assertThat(output()).singleElement().satisfies(r -> {
            assertThat(r.getXIsFinal()).isTrue();
            assertThat(r.getXRequestCount()).isEqualTo(2);
            assertThat(r.getXRevision()).as("revisions continue from the restored counter").isEqualTo(1);
        });
    }

    @Test
    void leavesNoStateOrTimersOnceEveryWindowHasClosed() throws Exception {
        for (int i = 0; i < 50; i++) {
            send("e" + i, HOUR.plusSeconds(i * 300L));   // spans about four hours
        }
        assertThat(harness.numKeyedStateEntries()).isPositive();
        assertThat(harness.numEventTimeTimers()).isPositive();

        harness.processWatermark(HOUR.plus(Duration.ofHours(6)).toEpochMilli());

        assertThat(output()).extracting(UsageRollup::getXRequestCount).containsExactly(12L, 12L, 12L, 12L, 2L);
        assertThat(harness.numKeyedStateEntries()).as("window contents and revision counters are cleared").isZero();
        assertThat(harness.numEventTimeTimers()).as("no timer outlives its window").isZero();
    }

    @Test
    void aTooLateEventBecomesACorrectionForItsOwnWindowUnderItsOwnKey() throws Exception {
        UsageSample s = PricedEvents.sample(call("stray", HOUR.plusSeconds(1234), 4));
        OneInputStreamOperatorTestHarness<UsageSample, PendingRollup> corrections = ProcessFunctionTestHarnesses.forProcessFunction(
                new RollupFunctions.TooLateCorrection(RollupGranularity.hour, Duration.ofHours(1)));
        corrections.processElement(s, s.eventTimeMillis);

        UsageRollup c = built(corrections.extractOutputValues().get(0));
        assertThat(c.getXIsCorrection()).isTrue();
        assertThat(c.getXRollupKey()).isEqualTo(Rollups.correctionKey(
                Rollups.rollupKey(RollupGranularity.hour, HOUR.toEpochMilli(), UsageSamples.keyOf(s)), "stray"));
        assertThat(c.getChargePeriodStart()).isEqualTo(HOUR);
        assertThat(c.getXRequestCount()).isEqualTo(1);
        assertThat(c.getListCost().getAmount()).isEqualByComparingTo(s.cost);
        corrections.close();
    }

    @Test
    void theCounterfactualFollowsTheBundlePublishedOnThePoliciesTopic(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        RollupFunctions.BuildRollup build = new RollupFunctions.BuildRollup(PricedEvents.ARCHIVE, CLOCK);
        var h = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(build, RollupFunctions.BUNDLES);
        UsageSample s = PricedEvents.sample(call("cf-1", HOUR.plusSeconds(60), 3));   // EU pii through a global profile
        java.util.function.Supplier<PendingRollup> pending = () -> new PendingRollup("k", "hour", HOUR.toEpochMilli(),
                HOUR.plusSeconds(3600).toEpochMilli(), 0, false, new RollupAccumulator().add(s));

        h.processElement(pending.get(), s.eventTimeMillis);
        assertThat(h.extractOutputValues().get(0).getXCounterfactualBundleVersion()).as("the shipped bundle").isEqualTo("2026.11.1");
        assertThat(h.extractOutputValues().get(0).getXBundleVersions()).as("what the enforcer used").isEqualTo("2026.11.1");

        // A new bundle is published: its catalogs price the next rollups.
        java.nio.file.Path copy = dir.resolve("bundle");
        try (var files = java.nio.file.Files.walk(PricedEvents.BUNDLE)) {
            for (java.nio.file.Path f : files.sorted().toList()) {
                java.nio.file.Path to = copy.resolve(PricedEvents.BUNDLE.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(to);
                } else {
                    java.nio.file.Files.copy(f, to);
                }
            }
        }
        java.nio.file.Files.writeString(copy.resolve("bundle.yaml"), java.nio.file.Files.readString(copy.resolve("bundle.yaml"))
                .replace("2026.11.1", "2026.12.9"));
        h.processBroadcastElement(dev.llmaudit.policy.load.BundleArchive.pack(copy), s.eventTimeMillis);
        h.processElement(pending.get(), s.eventTimeMillis);
        assertThat(h.extractOutputValues().get(1).getXCounterfactualBundleVersion()).isEqualTo("2026.12.9");

        // An invalid one is refused: the last good bundle stays.
        h.processBroadcastElement("not a bundle archive", s.eventTimeMillis);
        h.processElement(pending.get(), s.eventTimeMillis);
        assertThat(h.extractOutputValues().get(2).getXCounterfactualBundleVersion()).isEqualTo("2026.12.9");
        assertThat(h.extractOutputValues().get(2).getXCheapestAlternativeCost()).isNotNull();
        h.close();
    }

    @Test
    void aRecordWrittenBeforeTheEnforcerRecordedResidencyGetsNoCounterfactual() throws Exception {
        UsageSample known = PricedEvents.sample(call("k-1", HOUR.plusSeconds(60), 3));
        UsageSample unknown = PricedEvents.sample(call("u-1", HOUR.plusSeconds(61), 3));
        unknown.residencyRequirement = null;
        UsageRollup withKnown = built(new PendingRollup("k", "hour", HOUR.toEpochMilli(), HOUR.plusSeconds(3600).toEpochMilli(), 0, false,
                new RollupAccumulator().add(known)));
        UsageRollup withUnknown = built(new PendingRollup("k", "hour", HOUR.toEpochMilli(), HOUR.plusSeconds(3600).toEpochMilli(), 0, false,
                new RollupAccumulator().add(known).add(unknown)));
        assertThat(withKnown.getXCheapestAlternative()).isNotNull();
        assertThat(withUnknown.getXCheapestAlternative()).as("where the data had to stay is unknown for one call").isNull();
    }
}
