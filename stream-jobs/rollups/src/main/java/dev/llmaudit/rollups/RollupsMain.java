package dev.llmaudit.rollups;

import dev.llmaudit.jobs.Topics;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Builds and submits the rollups job: {@code llm-audit rollups run --config FILE} (a local
 * MiniCluster) or {@code flink run -c dev.llmaudit.rollups.RollupsMain llm-audit-rollups-job.jar
 * --config FILE} on a cluster (same code; the environment decides where it runs).
 */
public final class RollupsMain {
    private RollupsMain() {}

    public static void main(String[] args) throws Exception {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.println("usage: RollupsMain [--config FILE]  (settings also from LLM_AUDIT_ROLLUPS_* variables)");
                return;
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: RollupsMain [--config FILE]");
            }
        }
        RollupsConfig c = RollupsConfig.load(config, System.getenv());
        StreamExecutionEnvironment env = environment(c);
        define(env, c, Clock.systemUTC());
        env.execute(c.jobName());
    }

    /**
     * Starts the job in this process without waiting for it (the CLI's local run watches and cancels it).
     * Without a configured checkpoint directory, checkpoints go to {@code <tmp>/llm-audit-rollups/<group.id>}.
     */
    public static JobClient start(RollupsConfig c, Clock clock) throws Exception {
        if (c.checkpointDir() == null) {
            c = c.withCheckpointDir(Path.of(System.getProperty("java.io.tmpdir"), "llm-audit-rollups", c.groupId()));
        }
        StreamExecutionEnvironment env = environment(c);
        define(env, c, clock);
        return env.executeAsync(c.jobName());
    }

    /**
     * The execution environment: Kryo off (every type has a Flink serializer), object reuse on (the
     * operators never keep an input), exactly-once checkpoints. With a checkpoint directory, the
     * newest retained checkpoint in it is restored, so a restarted local run continues its windows.
     */
    public static StreamExecutionEnvironment environment(RollupsConfig c) throws IOException {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        if (c.checkpointDir() != null) {
            // Window state outgrows the JobManager's 5 MB in-memory checkpoint limit quickly: keep checkpoints in files.
            Files.createDirectories(c.checkpointDir());
            conf.setString("execution.checkpointing.dir", c.checkpointDir().toUri().toString());
            conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
            latestCheckpoint(c.checkpointDir()).ifPresent(p -> conf.setString("execution.state-recovery.path", p.toUri().toString()));
        }
        // The operators' counters (dead letters by stage, unpriced calls, late corrections, refused bundles) on a
        // Prometheus endpoint, when the reporter is on the classpath (the CLI has it; a cluster configures its own).
        if (!c.flink().keySet().stream().anyMatch(k -> k.startsWith("metrics.reporter.")) && prometheusReporterPresent()) {
            conf.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
            conf.setString("metrics.reporter.prom.port", "9249-9259");
        }
        c.flink().forEach(conf::setString);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(c.parallelism());
        env.enableCheckpointing(c.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        return env;
    }

    static boolean prometheusReporterPresent() {
        try {
            Class.forName("org.apache.flink.metrics.prometheus.PrometheusReporterFactory", false, RollupsMain.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Wires Kafka source -> rollups -> exactly-once Kafka sinks onto the environment. */
    public static void define(StreamExecutionEnvironment env, RollupsConfig c, Clock clock) throws IOException {
        if (!c.problems().isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", c.problems()));
        }
        String archive = packBundle(c.bundleDir());
        if (c.createTopics()) {
            Topics.ensure(c.bootstrapServers(), c.kafka(), c.topicsToEnsure(), c.topicPartitions());
        }
        DataStream<UsageSample> samples = env.fromSource(KafkaEdges.pricedSource(c), watermarks(c), "priced events")
                .uid("priced-events-source");
        DataStream<String> bundles = env.fromSource(KafkaEdges.policiesSource(c), WatermarkStrategy.noWatermarks(), "published bundles")
                .uid("policies-source");
        RollupJob.Outputs out = RollupJob.build(samples, bundles, c.settings(), archive, clock);
        out.rollups().sinkTo(KafkaEdges.rollupSink(c)).uid("rollups-sink").name("llm.usage.rollups (exactly once)");
        out.deadLetters().sinkTo(KafkaEdges.deadLetterSink(c)).uid("dead-letter-sink").name("dead letters (exactly once)");
    }

    /**
     * Event time from each call; watermarks trail the newest event by the configured out-of-orderness,
     * and never pass the wall clock plus the allowed skew (see {@link CappedWatermarks}).
     */
    public static WatermarkStrategy<UsageSample> watermarks(RollupsConfig c) {
        java.time.Duration outOfOrderness = c.outOfOrderness();
        java.time.Duration skew = c.futureSkew();
        return WatermarkStrategy.<UsageSample>forGenerator(ctx -> new CappedWatermarks<>(outOfOrderness, skew, Clock.systemUTC()))
                // Rejected records carry no event time; they must not move the watermark.
                .withTimestampAssigner((s, kafkaTime) -> s.isRejected() ? Long.MIN_VALUE : s.eventTimeMillis)
                // A partition without traffic must not hold every window open.
                .withIdleness(c.idleness());
    }

    /** Validates the bundle directory and packs it to ship inside the job graph (task managers need no files). */
    public static String packBundle(Path dir) throws IOException {
        BundleLoader.Result r = BundleLoader.load(dir);
        if (!r.ok()) {
            StringBuilder b = new StringBuilder("policy bundle " + dir + " is invalid (fix it or point bundle.dir elsewhere):");
            r.problems().forEach(p -> b.append("\n  ").append(p));
            throw new IllegalArgumentException(b.toString());
        }
        return BundleArchive.pack(dir);
    }

    /**
     * The newest completed checkpoint ({@code <job>/chk-N/_metadata}) under the directory, if any. The
     * directory must belong to this job alone (one {@code checkpoint.dir} per job).
     */
    static Optional<Path> latestCheckpoint(Path dir) throws IOException {
        record Candidate(Path dir, long modified) {}
        try (Stream<Path> files = Files.find(dir, 3, (p, a) -> p.getFileName().toString().equals("_metadata")
                && p.getParent().getFileName().toString().startsWith("chk-"))) {
            return files.map(p -> {
                try {
                    return new Candidate(p.getParent(), Files.getLastModifiedTime(p).toMillis());
                } catch (IOException vanished) {
                    return null;   // subsumed and deleted meanwhile
                }
            }).filter(java.util.Objects::nonNull).max(Comparator.comparingLong(Candidate::modified)).map(Candidate::dir);
        } catch (java.io.UncheckedIOException vanished) {
            return Optional.empty();
        }
    }
}
