package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.Topics;
import com.sun.net.httpserver.HttpServer;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.Problems;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
 * readiness ({@code /readyz}: the Streams app is RUNNING) and Prometheus {@code /metrics}.
 */
public final class Enforcer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Enforcer.class);

    private final KafkaStreams streams;
    private final HttpServer http;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final KafkaStreamsMetrics streamsMetrics;

    private Enforcer(EnforcerConfig config) throws IOException {
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
        streams = new KafkaStreams(EnforcementTopology.build(config.topics(), engines, registry, config.dedupHorizon(),
                config.budgetStatusInterval()), p);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Enforcer stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(meters);
        http = HttpServer.create(new InetSocketAddress(config.httpPort()), 16);
        http.createContext("/healthz", ex -> answer(ex, isAlive() ? 200 : 503, "{\"state\":\"" + streams.state() + "\"}"));
        http.createContext("/readyz", ex -> answer(ex, streams.state() == KafkaStreams.State.RUNNING ? 200 : 503,
                "{\"state\":\"" + streams.state() + "\"}"));
        http.createContext("/metrics", ex -> answer(ex, 200, meters.scrape()));
        http.start();
        streams.start();
        LOG.info("Enforcer {} started with bundle {} (health on :{})", config.applicationId(), bundle.bundle().version(), http.getAddress().getPort());
    }

    public static Enforcer start(EnforcerConfig config) throws IOException {
        return new Enforcer(config);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public int httpPort() {
        return http.getAddress().getPort();
    }

    private boolean isAlive() {
        KafkaStreams.State s = streams.state();
        return s != KafkaStreams.State.ERROR && s != KafkaStreams.State.NOT_RUNNING && s != KafkaStreams.State.PENDING_ERROR;
    }

    private static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        try (ex) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Creates missing topics (compacted where the contract says so); existing topics are left as they are. */
    static void createTopics(EnforcerConfig config) {
        EnforcerTopics t = config.topics();
        EnforcerTopics d = EnforcerTopics.defaults();
        Map<String, String> names = new LinkedHashMap<>();
        names.put(d.events(), t.events());
        names.put(d.dlq(), t.dlq());
        names.put(d.priced(), t.priced());
        names.put(d.violations(), t.violations());
        names.put(d.budgetStatus(), t.budgetStatus());
        names.put(d.policies(), t.policies());
        Topics.ensure(config.bootstrapServers(), names, config.topicPartitions());
    }

    @Override
    public void close() {
        // Leave the group on a clean stop: otherwise the next instance waits out the old members'
        // session timeout (45 s by default) before it gets any partition.
        streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
        streamsMetrics.close();
        http.stop(0);
        meters.close();
    }
}
