package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.http.HttpService;
import dev.llmaudit.http.Routes;
import dev.llmaudit.jobs.Topics;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.Problems;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the enforcement topology with exactly-once processing, plus liveness ({@code /healthz}),
 * readiness ({@code /readyz}: the Streams app is RUNNING) and Prometheus {@code /metrics} on the
 * admin listener ({@code http.*}). A record any processor or sink fails on becomes a dead letter and
 * processing continues ({@link DeadLetterHandlers}).
 */
public final class Enforcer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Enforcer.class);

    private final KafkaStreams streams;
    private final HttpService http;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final KafkaStreamsMetrics streamsMetrics;
    private final java.util.concurrent.ScheduledExecutorService metricsRefresh;

    private final EnforcerConfig config;

    private Enforcer(EnforcerConfig config) throws IOException {
        this.config = config;
        BundleLoader.Result bundle = BundleLoader.load(config.bundleDir());
        if (!bundle.ok()) {
            throw new IllegalArgumentException("policy bundle " + config.bundleDir() + " is invalid:\n"
                    + bundle.problems().stream().map(Problems.Problem::toString).collect(Collectors.joining("\n")));
        }
        if (config.createTopics()) {
            createTopics(config);
        }
        EngineHolder engines = new EngineHolder(bundle.bundle());
        SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(config.registry()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(StreamsConfig.consumerPrefix("isolation.level"), "read_committed");
        // One stream thread per core by default (Kafka Streams' default is one in all): evaluation is CPU work.
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(Runtime.getRuntime().availableProcessors()));
        p.putAll(config.streams());
        DeadLetterHandlers.Sink deadLetters = new DeadLetterHandlers.Sink(config.topics().dlq(), registry);
        DeadLetterHandlers.configure(p, deadLetters);
        streams = new KafkaStreams(EnforcementTopology.build(config.topics(), engines, registry, config.dedupHorizon(),
                config.budgetStatusInterval(), config.futureSkew(), config.budgetFlushInterval()), p);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Enforcer stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        // Looked at again every 5 s (Micrometer's default is a minute): the operators' counters appear with their tasks.
        metricsRefresh = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "llm-audit-enforcer-metrics");
            t.setDaemon(true);
            return t;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams, java.util.List.of(), metricsRefresh, java.time.Duration.ofSeconds(5));
        streamsMetrics.bindTo(meters);
        Gauge.builder("llm_audit_enforcer_records_failed", deadLetters, DeadLetterHandlers.Sink::processingFailures).tag("where", "processing")
                .description("Records a processor failed on (sent to the DLQ; processing continued)").register(meters);
        Gauge.builder("llm_audit_enforcer_records_failed", deadLetters, DeadLetterHandlers.Sink::productionFailures).tag("where", "production")
                .description("Records that could not be written (sent to the DLQ; processing continued)").register(meters);
        Gauge.builder("llm_audit_enforcer_bundles_refused", engines, EngineHolder::refused)
                .description("Policy bundles from the policies topic that failed to load (the last good one stayed in force)").register(meters);
        http = HttpService.start(new HttpService.Listener(config.http(), Routes.builder()
                .get("/healthz", ex -> ex.json(isAlive() ? 200 : 503, "{\"state\":\"" + streams.state() + "\"}"))
                .get("/readyz", ex -> ex.json(streams.state() == KafkaStreams.State.RUNNING ? 200 : 503, "{\"state\":\"" + streams.state() + "\"}"))
                .get("/metrics", ex -> ex.respond(200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape()))
                .notFound("not found: GET /healthz, /readyz or /metrics").build()));
        streams.start();
        LOG.info("Enforcer {} started with bundle {} (health on :{})", config.applicationId(), bundle.bundle().version(), httpPort());
    }

    public static Enforcer start(EnforcerConfig config) throws IOException {
        return new Enforcer(config);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public int httpPort() {
        return http.port(config.http().name());
    }

    private boolean isAlive() {
        KafkaStreams.State s = streams.state();
        return s != KafkaStreams.State.ERROR && s != KafkaStreams.State.NOT_RUNNING && s != KafkaStreams.State.PENDING_ERROR;
    }

    /** Creates missing topics (compacted where the contract says so); existing topics are left as they are. */
    static void createTopics(EnforcerConfig config) {
        PipelineTopics t = config.topics();
        PipelineTopics d = PipelineTopics.defaults();
        Map<String, String> names = new LinkedHashMap<>();
        names.put(d.events(), t.events());
        names.put(d.dlq(), t.dlq());
        names.put(d.priced(), t.priced());
        names.put(d.violations(), t.violations());
        names.put(d.budgetStatus(), t.budgetStatus());
        names.put(d.policies(), t.policies());
        Topics.ensure(config.bootstrapServers(), config.streams(), names, config.topicPartitions());
    }

    @Override
    public void close() {
        // Leave the group on a clean stop: otherwise the next instance waits out the old members'
        // session timeout (45 s by default) before it gets any partition.
        streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
        streamsMetrics.close();
        metricsRefresh.shutdownNow();
        http.close();
        meters.close();
    }
}
