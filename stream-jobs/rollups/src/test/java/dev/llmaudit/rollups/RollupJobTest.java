package dev.llmaudit.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole job graph on a local Flink cluster, fed out-of-order events from a collection. */
class RollupJobTest {
    /** One local cluster for the class, up until every result has been fetched. */
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final Instant START = Instant.parse("2026-11-02T00:00:00Z");

    /** A watermark after every event (periodic ones would never fire on a fast bounded source). */
    static WatermarkStrategy<UsageSample> perEvent(Duration bound) {
        return WatermarkStrategy.<UsageSample>forGenerator(ctx -> new WatermarkGenerator<>() {
            long max = Long.MIN_VALUE + bound.toMillis();

            @Override
            public void onEvent(UsageSample s, long ts, WatermarkOutput out) {
                if (!s.isRejected()) {
                    max = Math.max(max, s.eventTimeMillis);
                    out.emitWatermark(new Watermark(max - bound.toMillis()));
                }
            }

            @Override
            public void onPeriodicEmit(WatermarkOutput out) {}
        }).withTimestampAssigner((s, ts) -> s.isRejected() ? Long.MIN_VALUE : s.eventTimeMillis);
    }

    /** Arrival order: most events on time, some 20-50 min late, some 2-5 h late. */
    static List<UsageSample> arrivals(int n, long seed) {
        Random rnd = new Random(seed);
        record Arrival(UsageSample s, long at) {}
        List<Arrival> list = new ArrayList<>();
        for (var e : PricedEvents.calls(n, START, Duration.ofDays(3), seed)) {
            UsageSample s = PricedEvents.sample(e);
            double p = rnd.nextDouble();
            long delay = p < 0.90 ? 0 : p < 0.97 ? Duration.ofMinutes(20 + rnd.nextInt(30)).toMillis()
                    : Duration.ofHours(2 + rnd.nextInt(3)).toMillis();
            list.add(new Arrival(s, s.eventTimeMillis + delay));
        }
        list.sort(Comparator.comparingLong(Arrival::at));
        return list.stream().map(Arrival::s).toList();
    }

    static UsageSample rejected(int i) {
        UsageSample s = new UsageSample();
        s.rejected = new UsageSample.Rejected();
        s.rejected.stage = "rollups-deserialize";
        s.rejected.errorClass = "WireFormatException";
        s.rejected.errorMessage = "unknown magic byte 0x7b";
        s.rejected.topic = "llm.events.priced";
        s.rejected.offset = i;
        s.rejected.value = "{not avro}".getBytes();
        return s;
    }

    @Test
    void latestRevisionsPlusCorrectionsAddUpExactlyToThePricedEventsAtBothGranularities() throws Exception {
        List<UsageSample> input = new ArrayList<>(arrivals(3_000, 42));
        List<UsageSample> valid = List.copyOf(input);
        input.add(100, rejected(1));
        input.add(2_000, rejected(2));

        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.configure(conf);
        assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).as("no Kryo anywhere in the job").isTrue();
        env.setParallelism(2);
        DataStream<UsageSample> samples = env.fromData(UsageSample.class, input.toArray(UsageSample[]::new)).setParallelism(1)
                .assignTimestampsAndWatermarks(perEvent(Duration.ofMinutes(10))).setParallelism(1);
        RollupJob.Outputs out = RollupJob.build(samples, null, new RollupSettings(Duration.ofHours(1), "USD"), PricedEvents.ARCHIVE,
                Clock.systemUTC());
        CloseableIterator<UsageRollup> rollupIt = out.rollups().collectAsync();
        CloseableIterator<DeadLetter> deadIt = out.deadLetters().collectAsync();
        env.execute("rollups-test");
        List<UsageRollup> rollups = new ArrayList<>();
        rollupIt.forEachRemaining(rollups::add);
        List<DeadLetter> dead = new ArrayList<>();
        deadIt.forEachRemaining(dead::add);

        Map<String, UsageRollup> latest = Totals.latestPerKey(rollups);
        Totals expected = Totals.ofSamples(valid);
        for (RollupGranularity g : RollupGranularity.values()) {
            assertThat(Totals.ofRollups(latest.values(), g)).as(g + " totals").isEqualTo(expected);
        }
        assertThat(rollups).as("late events revised windows").anyMatch(r -> r.getXRevision() > 0);
        assertThat(latest.values()).as("too-late events became hourly corrections")
                .anyMatch(r -> r.getXIsCorrection() && r.getXGranularity() == RollupGranularity.hour);
        assertThat(rollups.stream().filter(r -> r.getXGranularity() == RollupGranularity.day && !r.getXIsCorrection()).map(
                r -> r.getChargePeriodStart()).distinct()).hasSize(3);
        assertThat(dead).extracting(DeadLetter::getSourceOffset).containsExactlyInAnyOrder(1L, 2L);
        assertThat(dead).allMatch(d -> d.getErrorMessage().contains("magic byte"));
    }

    @Test
    void aWindowWhoseSumCannotBeEncodedIsADeadLetterNotARestartLoop() throws Exception {
        // Samples that passed no source check (the graph takes samples from anywhere): two billed costs
        // of 26 integer digits each (they fit) whose sum has 27, more than the contract's decimal(38, 12) holds.
        List<UsageSample> input = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            UsageSample s = PricedEvents.sample(PricedEvents.calls(1, START, Duration.ofMinutes(1), 7 + i).get(0));
            s.tenant = "huge";
            s.dimensionKey = UsageSamples.dimensionKey(s);
            s.billedCost = new java.math.BigDecimal("50000000000000000000000000.000000000000");
            input.add(s);
        }
        UsageSample ok = PricedEvents.sample(PricedEvents.calls(1, START, Duration.ofMinutes(1), 99).get(0));
        input.add(ok);

        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        // No restarts: a failing job must fail this test, not retry into the same failure.
        conf.setString("restart-strategy.type", "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        DataStream<UsageSample> samples = env.fromData(UsageSample.class, input.toArray(UsageSample[]::new))
                .assignTimestampsAndWatermarks(perEvent(Duration.ofMinutes(10)));
        RollupJob.Outputs out = RollupJob.build(samples, null, new RollupSettings(Duration.ofHours(1), "USD"), PricedEvents.ARCHIVE, Clock.systemUTC());
        CloseableIterator<UsageRollup> rollupIt = out.rollups().collectAsync();
        CloseableIterator<DeadLetter> deadIt = out.deadLetters().collectAsync();
        env.execute("impossible-sum");
        List<UsageRollup> rollups = new ArrayList<>();
        rollupIt.forEachRemaining(rollups::add);
        List<DeadLetter> dead = new ArrayList<>();
        deadIt.forEachRemaining(dead::add);

        assertThat(dead).hasSize(2).allSatisfy(d -> {
            assertThat(d.getStage()).isEqualTo("rollup-emit");
            assertThat(d.getErrorClass()).isEqualTo("ImpossibleRollup");
            assertThat(d.getErrorMessage()).isEqualTo("an amount of 39 digits (27 integer digits) does not fit the contract's decimal(38, 12)");
            assertThat(java.nio.charset.StandardCharsets.UTF_8.decode(d.getOriginalKey().duplicate()).toString()).contains("|huge|");
        });
        assertThat(rollups).as("the other key's windows are emitted as usual").hasSize(2)
                .allSatisfy(r -> assertThat(r.getXTenant()).isEqualTo(ok.tenant));
    }
}
