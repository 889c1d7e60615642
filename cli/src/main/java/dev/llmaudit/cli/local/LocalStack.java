package dev.llmaudit.cli.local;

import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.enforcer.Enforcer;
import dev.llmaudit.enforcer.EnforcerConfig;
import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.ingest.gateway.ApiKeys;
import dev.llmaudit.ingest.gateway.GatewayConfig;
import dev.llmaudit.ingest.gateway.IngestGateway;
import dev.llmaudit.rollups.RollupsConfig;
import dev.llmaudit.rollups.RollupsMain;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.flink.core.execution.JobClient;

/**
 * Everything of the pipeline in this process, on one work directory: the in-JVM Kafka broker and
 * schema registry, the ingest gateway, the enforcer and the rollups job. Started in that order,
 * closed in reverse. Restarting on the same directory continues where the last run stopped (Kafka
 * data, enforcer state, rollup checkpoints).
 */
final class LocalStack implements AutoCloseable {
    /** The web console, when started (set by the local command; closed first). */
    dev.llmaudit.cli.console.ConsoleServer console;
    dev.llmaudit.cli.console.ConsoleFeed consoleFeed;

    /** Tenants the simulator and the printed curl example use; each gets its own API key. */
    static final List<String> TENANTS = List.of("acme", "acme-eu", "globex-us", "demo");
    static final String ENFORCER_ID = "llm-audit-local-enforcer";

    record Options(Path workDir, int kafkaPort, int registryPort, int gatewayPort, Path bundleDir) {}

    final Options options;
    final PipelineTopics topics = PipelineTopics.defaults();
    private final Consumer<String> log;
    EmbeddedKafkaBroker broker;
    EmbeddedSchemaRegistry registry;
    IngestGateway gateway;
    Enforcer enforcer;
    JobClient rollups;
    /** API key per tenant (fresh each start; the keys file holds only their hashes). */
    final Map<String, String> apiKeys = new LinkedHashMap<>();

    private LocalStack(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    static LocalStack start(Options o, Consumer<String> log) throws Exception {
        LocalStack s = new LocalStack(o, log);
        try {
            s.startAll();
            return s;
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        Files.createDirectories(options.workDir());
        Properties ports = ports();
        log.accept("starting Kafka (data in " + options.workDir().resolve("kafka") + ")");
        broker = EmbeddedKafkaBroker.start(options.workDir().resolve("kafka"), false, options.kafkaPort(),
                Integer.parseInt(ports.getProperty("controller.port")), Map.of());
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers(), EmbeddedSchemaRegistry.DEFAULT_TOPIC, options.registryPort(), null);
        log.accept("schema registry at " + registry.url());

        StringBuilder keys = new StringBuilder();
        for (String tenant : TENANTS) {
            String key = ApiKeys.newKey();
            apiKeys.put(tenant, key);
            keys.append(ApiKeys.line(key, tenant)).append('\n');
        }
        Path keysFile = options.workDir().resolve("ingest-keys.txt");
        Files.writeString(keysFile, keys);
        gateway = IngestGateway.start(GatewayConfig.defaults(broker.bootstrapServers(), registry.url())
                .withPorts("127.0.0.1", options.gatewayPort(), 0).withTransactionalIdPrefix("llm-audit-local-ingest"), ApiKeys.load(keysFile));

        Map<String, String> enforcer = new LinkedHashMap<>();
        enforcer.put("application.id", ENFORCER_ID);
        enforcer.put("bootstrap.servers", broker.bootstrapServers());
        enforcer.put("schema.registry.url", registry.url());
        enforcer.put("bundle.dir", options.bundleDir().toString());
        enforcer.put("state.dir", options.workDir().resolve("enforcer-state").toString());
        enforcer.put("http.port", "0");
        enforcer.put("topic.partitions", "2");
        this.enforcer = Enforcer.start(EnforcerConfig.load(write("enforcer.properties", enforcer), Map.of()));
        log.accept("enforcer running (bundle " + options.bundleDir() + ")");
    }

    /**
     * Starts the rollups job.
     *
     * @param bounded true: recompute every rollup from the start of the priced topic and stop at its end
     *     (flushing every window); false: run until closed, resuming from the last checkpoint in the work dir
     */
    void startRollups(boolean bounded) throws Exception {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("bootstrap.servers", broker.bootstrapServers());
        r.put("schema.registry.url", registry.url());
        r.put("bundle.dir", options.bundleDir().toString());
        r.put("parallelism", "1");
        r.put("checkpoint.interval", "PT2S");
        r.put("topic.partitions", "2");
        if (bounded) {
            // A fresh consumer group and checkpoint directory: all of llm.events.priced, every window flushed.
            String run = "llm-audit-local-rollups-" + System.currentTimeMillis();
            r.put("bounded", "true");
            r.put("group.id", run);
            r.put("transactional.id.prefix", run);
            r.put("checkpoint.dir", options.workDir().resolve("rollups").resolve("flush-runs").resolve(run).toString());
        } else {
            r.put("group.id", "llm-audit-local-rollups");
            r.put("transactional.id.prefix", "llm-audit-local-rollups");
            r.put("checkpoint.dir", options.workDir().resolve("rollups").resolve("checkpoints").toString());
        }
        rollups = RollupsMain.start(RollupsConfig.load(write("rollups.properties", r), Map.of()), Clock.systemUTC());
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String registryUrl() {
        return registry.url();
    }

    String gatewayUrl() {
        return "http://127.0.0.1:" + gateway.port() + "/v1/events";
    }

    private Path write(String name, Map<String, String> settings) throws IOException {
        Properties p = new Properties();
        p.putAll(settings);
        Path file = options.workDir().resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, "written by llm-audit local on each start");
        }
        return file;
    }

    /** The controller port is fixed per work directory: a restarted broker must find its controller where it was formatted. */
    private Properties ports() throws IOException {
        Path file = options.workDir().resolve("ports.properties");
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        if (p.getProperty("controller.port") == null) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                p.setProperty("controller.port", Integer.toString(s.getLocalPort()));
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                p.store(out, "ports kept across restarts of llm-audit local on this directory");
            }
        }
        return p;
    }

    void stopRollups(Duration timeout) {
        if (rollups == null) {
            return;
        }
        try {
            rollups.cancel().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.accept("rollups job did not stop cleanly: " + e.getMessage());
        }
        rollups = null;
    }

    @Override
    public void close() {
        if (console != null) {
            console.close();
        }
        if (consoleFeed != null) {
            try {
                consoleFeed.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopRollups(Duration.ofSeconds(30));
        if (gateway != null) {
            gateway.close();
        }
        if (enforcer != null) {
            enforcer.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }
}
