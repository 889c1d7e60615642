package dev.llmaudit.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.jobs.CommittedRecords;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real broker with a task failure injected mid-stream, after a checkpoint: Flink
 * restarts from the checkpoint, and what a read_committed consumer sees (latest revision per key)
 * still sums exactly to the priced events: requests, tokens and cost. Dead letters exactly once too.
 */
@ExtendWith(KafkaClusterExtension.class)
class RollupsFailureIT {
    static final int EVENTS = 20_000;

    /**
     * Fails the task once, right after a checkpoint that completed a third of the way in (so windows
     * had already closed and been purged at the restored checkpoint).
     */
    static final class FailOnceAfterCheckpoint extends RichMapFunction<UsageSample, UsageSample> implements CheckpointListener {
        static final AtomicBoolean FAILED = new AtomicBoolean();
        static final AtomicBoolean CHECKPOINTED_MID_STREAM = new AtomicBoolean();
        static final AtomicInteger SEEN = new AtomicInteger();

        @Override
        public UsageSample map(UsageSample s) throws Exception {
            int seen = SEEN.incrementAndGet();
            if (seen > EVENTS / 3 && !FAILED.get()) {
                if (!CHECKPOINTED_MID_STREAM.get()) {
                    Thread.sleep(1);   // let a checkpoint complete before the input is used up
                } else if (FAILED.compareAndSet(false, true)) {
                    throw new IllegalStateException("injected task failure after " + seen + " records");
                }
            }
            return s;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (SEEN.get() > EVENTS / 3) {
                CHECKPOINTED_MID_STREAM.set(true);
            }
        }
    }

    @Test
    void aTaskFailureMidStreamStillCommitsRollupsThatAddUpExactly(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                   @TempDir Path dir) throws Exception {
        String prefix = cluster.uniqueTopic("rollups");
        Path config = dir.resolve("rollups.properties");
        Files.writeString(config, String.join("\n",
                "bootstrap.servers=" + cluster.bootstrapServers(),
                "schema.registry.url=" + registry.url(),
                "bundle.dir=" + PricedEvents.BUNDLE,
                "topic.priced=" + prefix + ".priced", "topic.rollups=" + prefix + ".rollups", "topic.dlq=" + prefix + ".dlq",
                "group.id=" + prefix, "transactional.id.prefix=" + prefix,
                "bounded=true", "checkpoint.interval=PT0.3S", "out.of.orderness=PT5M", "allowed.lateness=PT1H", "parallelism=2",
                "flink.restart-strategy.type=fixed-delay", "flink.restart-strategy.fixed-delay.attempts=3",
                "flink.restart-strategy.fixed-delay.delay=PT0.5S"));
        RollupsConfig c = RollupsConfig.load(config, Map.of());
        cluster.createTopic(c.pricedTopic(), 3, Map.of());
        cluster.createTopic(c.rollupsTopic(), 3, Map.of("cleanup.policy", "compact"));
        cluster.createTopic(c.dlqTopic(), 1, Map.of());

        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        List<UsageSample> produced = produce(cluster, client, c.pricedTopic());

        StreamExecutionEnvironment env = RollupsMain.environment(c);
        String archive = RollupsMain.packBundle(c.bundleDir());
        DataStream<UsageSample> samples = env.fromSource(KafkaEdges.pricedSource(c), RollupsMain.watermarks(c), "priced events")
                .map(new FailOnceAfterCheckpoint(), TypeInformation.of(UsageSample.class)).uid("fail-once");
        RollupJob.Outputs out = RollupJob.build(samples, null, c.settings(), archive, Clock.systemUTC());
        out.rollups().sinkTo(KafkaEdges.rollupSink(c)).uid("rollups-sink");
        out.deadLetters().sinkTo(KafkaEdges.deadLetterSink(c)).uid("dead-letter-sink");
        env.execute("rollups-failure-it");

        assertThat(FailOnceAfterCheckpoint.FAILED).as("the failure was injected").isTrue();
        // 20,003 records in the topic; more seen means the task really restarted and replayed from the checkpoint.
        assertThat(FailOnceAfterCheckpoint.SEEN.get()).as("records replayed after the restore").isGreaterThan(EVENTS + 3);

        List<UsageRollup> rollups = new ArrayList<>();
        CommittedRecords.read(cluster, c.rollupsTopic(), new ConfluentAvroDeserializer<>(client, UsageRollup.class), r -> {
            assertThat(r.key()).isEqualTo(r.value().getXRollupKey());
            rollups.add(r.value());
        });
        Map<String, UsageRollup> latest = Totals.latestPerKey(rollups);
        Totals expected = Totals.ofSamples(produced);
        for (RollupGranularity g : RollupGranularity.values()) {
            assertThat(Totals.ofRollups(latest.values(), g)).as(g + " totals").isEqualTo(expected);
        }
        assertThat(latest.values()).anyMatch(r -> r.getXCheapestAlternative() != null);
        // Whether the 3-hours-late events become corrections here depends on how far the periodic watermark
        // got when they were read (timing); RollupJobTest and the harness tests check corrections exactly.
        // The sums above hold either way.

        List<DeadLetter> dead = new ArrayList<>();
        CommittedRecords.read(cluster, c.dlqTopic(), new ConfluentAvroDeserializer<>(client, DeadLetter.class), r -> dead.add(r.value()));
        assertThat(dead).hasSize(3).allMatch(d -> d.getSourceTopic().equals(c.pricedTopic()) && d.getErrorMessage().contains("magic byte"));
    }

    static Instant arrival(LlmCallEvent e) {
        int h = Math.abs(e.getEventId().hashCode());
        return e.getEventTime().plusSeconds(h % 50 == 0 ? 3 * 3600 : h % 1200 - 600);
    }

    /** Writes the priced events (time-ordered per key, arriving somewhat out of order overall) and 3 undecodable records. */
    static List<UsageSample> produce(KafkaCluster cluster, SchemaRegistryClient client, String topic) throws Exception {
        List<UsageSample> samples = new ArrayList<>();
        Properties p = cluster.clientProperties();
        p.put("linger.ms", "10");
        try (KafkaProducer<String, PricedLlmCall> producer = new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(client, true));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            List<LlmCallEvent> calls = PricedEvents.calls(EVENTS, Instant.parse("2026-11-02T00:00:00Z"), Duration.ofDays(2), 99);
            // Arrival order: within +-10 min of event time, but every 50th call 3 h late (past the allowed lateness: a correction).
            calls = calls.stream().sorted(java.util.Comparator.comparing(e -> arrival(e))).toList();
            for (int i = 0; i < calls.size(); i++) {
                PricedLlmCall priced = PricedEvents.price(calls.get(i));
                samples.add(UsageSamples.from(priced, "USD"));
                producer.send(new ProducerRecord<>(topic, priced.getEvent().getEventId(), priced));
                if (i % 7_000 == 0) {
                    raw.send(new ProducerRecord<>(topic, "bad-" + i, "{\"not\":\"avro\"}".getBytes()));
                }
            }
        }
        return samples;
    }
}
