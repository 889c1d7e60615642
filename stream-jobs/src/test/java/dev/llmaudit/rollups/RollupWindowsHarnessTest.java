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
    KeyedOneInputStreamOperatorTestHarness<String, UsageSample, UsageRollup> harness;

    @BeforeEach
    @SuppressWarnings("unchecked")
    void setUp() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SingleOutputStreamOperator<UsageRollup> windows = RollupJob.windows(
                env.fromData(UsageSample.class, PricedEvents.sample(call("seed", HOUR, 4))).keyBy(UsageSamples::keyOf, Types.STRING),
                RollupGranularity.hour, new RollupSettings(LATENESS, "USD"), PricedEvents.ARCHIVE, CLOCK, tooLate);
        OneInputStreamOperator<UsageSample, UsageRollup> operator =
                ((OneInputTransformation<UsageSample, UsageRollup>) windows.getTransformation()).getOperator();
        harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, UsageSamples::keyOf, Types.STRING);
        harness.open();
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

    static BigDecimal cost(String id, Instant t) {
        return PricedEvents.sample(call(id, t, 4)).cost;
    }

    @Test
    void emitsOnTimeThenOneRevisionPerLateEventThenSendsTooLateEventsAside() throws Exception {
        send("a", HOUR.plusSeconds(60));
        send("b", HOUR.plusSeconds(1800));
        send("next-hour", HOUR.plusSeconds(3700));
        assertThat(harness.extractOutputValues()).as("nothing before the watermark passes the hour").isEmpty();

        harness.processWatermark(HOUR.plusSeconds(3600).toEpochMilli());
        List<UsageRollup> out = harness.extractOutputValues();
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
        out = harness.extractOutputValues();
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
        assertThat(harness.extractOutputValues()).hasSize(2);
        assertThat(harness.getSideOutput(tooLate)).extracting(r -> r.getValue().eventId).containsExactly("too-late");
    }

    @Test
    void leavesNoStateOrTimersOnceEveryWindowHasClosed() throws Exception {
        for (int i = 0; i < 50; i++) {
            send("e" + i, HOUR.plusSeconds(i * 300L));   // spans about four hours
        }
        assertThat(harness.numKeyedStateEntries()).isPositive();
        assertThat(harness.numEventTimeTimers()).isPositive();

        harness.processWatermark(HOUR.plus(Duration.ofHours(6)).toEpochMilli());

        assertThat(harness.extractOutputValues()).extracting(UsageRollup::getXRequestCount).containsExactly(12L, 12L, 12L, 12L, 2L);
        assertThat(harness.numKeyedStateEntries()).as("window contents and revision counters are cleared").isZero();
        assertThat(harness.numEventTimeTimers()).as("no timer outlives its window").isZero();
    }

    @Test
    void aTooLateEventBecomesACorrectionForItsOwnWindowUnderItsOwnKey() throws Exception {
        UsageSample s = PricedEvents.sample(call("stray", HOUR.plusSeconds(1234), 4));
        OneInputStreamOperatorTestHarness<UsageSample, UsageRollup> corrections = ProcessFunctionTestHarnesses.forProcessFunction(
                new RollupFunctions.TooLateCorrection(RollupGranularity.hour, Duration.ofHours(1), PricedEvents.ARCHIVE, CLOCK));
        corrections.processElement(s, s.eventTimeMillis);

        UsageRollup c = corrections.extractOutputValues().get(0);
        assertThat(c.getXIsCorrection()).isTrue();
        assertThat(c.getXRollupKey()).isEqualTo(Rollups.correctionKey(
                Rollups.rollupKey(RollupGranularity.hour, HOUR.toEpochMilli(), UsageSamples.keyOf(s)), "stray"));
        assertThat(c.getChargePeriodStart()).isEqualTo(HOUR);
        assertThat(c.getXRequestCount()).isEqualTo(1);
        assertThat(c.getListCost().getAmount()).isEqualByComparingTo(s.cost);
        corrections.close();
    }
}
