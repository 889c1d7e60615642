package dev.llmaudit.cli;

import dev.llmaudit.ingest.gateway.ApiKeys;
import dev.llmaudit.ingest.gateway.GatewayConfig;
import dev.llmaudit.ingest.gateway.IngestGateway;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The HTTP ingest gateway and its API keys. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Run the HTTP ingest gateway (POST /v1/events; OpenTelemetry GenAI spans on POST /v1/traces) and manage its API keys.",
        subcommands = {IngestCommand.Serve.class, IngestCommand.NewKey.class})
final class IngestCommand extends GroupCommand {
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Accept LLM call events over HTTP and write them to Kafka. Runs until Ctrl-C.",
                    "Every option can also come from the environment variable shown in its default."})
    static final class Serve implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ClusterOptions cluster;

        @Option(names = "--keys", defaultValue = "${env:LLM_AUDIT_INGEST_KEYS}", required = true,
                description = "API keys file (LLM_AUDIT_INGEST_KEYS): lines of \"sha256:<hex> <tenant>\"; create entries with 'llm-audit ingest new-key'.")
        Path keys;

        @Option(names = "--host", defaultValue = "${env:LLM_AUDIT_INGEST_HOST:-0.0.0.0}", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
        String host;

        @Option(names = "--port", defaultValue = "${env:LLM_AUDIT_INGEST_PORT:-8088}", description = "Port. Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--admin-port", defaultValue = "${env:LLM_AUDIT_INGEST_ADMIN_PORT:-8090}",
                description = "Port of /healthz, /readyz and /metrics (a separate listener, so probes answer under ingest load). Default: ${DEFAULT-VALUE}.")
        int adminPort;

        @Option(names = "--max-age", defaultValue = "${env:LLM_AUDIT_INGEST_MAX_AGE:-P35D}",
                description = {"Events older than this are refused (ISO-8601, e.g. P35D). Events later than now plus 5 minutes always are.",
                        "Replay older events with 'llm-audit local --events-file'. Default: ${DEFAULT-VALUE}."})
        java.time.Duration maxAge;

        @Option(names = "--http-config", paramLabel = "FILE",
                description = {"HTTP listener settings (properties): ingest.<key> for POST /v1/events and /v1/traces, admin.<key> for the admin port.",
                        "Keys: host, port, idle.timeout, header.timeout, max.connections, max.header.bytes, min.request.bytes.per.second,",
                        "tls.keystore, tls.keystore.type (PKCS12|PEM), tls.keystore.password, tls.key (PEM private key), tls.truststore,",
                        "tls.truststore.password, tls.client.auth (none|want|need). Environment: LLM_AUDIT_INGEST_HTTP_<KEY> and",
                        "LLM_AUDIT_INGEST_ADMIN_<KEY>, e.g. LLM_AUDIT_INGEST_HTTP_TLS_KEYSTORE_PASSWORD (environment wins)."})
        Path httpConfig;

        @Option(names = "--topic", defaultValue = "${env:LLM_AUDIT_EVENTS_TOPIC:-llm.events}", description = "Topic. Default: ${DEFAULT-VALUE}.")
        String topic;

        @Option(names = "--max-body-bytes", defaultValue = "10485760", description = "Larger bodies get 413. Default: ${DEFAULT-VALUE}.")
        long maxBody;

        @Option(names = "--max-in-flight", defaultValue = "32", description = "Concurrent requests; more get 503. Default: ${DEFAULT-VALUE}.")
        int maxInFlight;

        @Option(names = "--producers", defaultValue = "4", description = "Transactional producers. Default: ${DEFAULT-VALUE}.")
        int producers;

        @Option(names = "--hmac-key-env", defaultValue = "LLM_AUDIT_INGEST_HMAC_KEY",
                description = "Environment variable holding the key for hashing prompts/responses/user ids in gateway payloads. Default: ${DEFAULT-VALUE}.")
        String hmacEnv;

        /**
         * Kafka client settings: {@code --kafka-config} and {@code LLM_AUDIT_KAFKA_*} (as every command), then
         * {@code LLM_AUDIT_INGEST_KAFKA_*} for settings of the gateway alone (environment wins).
         */
        static Map<String, String> kafkaClientSettings(Path file, Map<String, String> env) throws java.io.IOException {
            Map<String, String> out = new LinkedHashMap<>(ClusterOptions.kafkaClient(file, env));
            String prefix = "LLM_AUDIT_INGEST_KAFKA_";
            env.forEach((name, value) -> {
                if (name.startsWith(prefix) && name.length() > prefix.length()) {
                    out.put(name.substring(prefix.length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.'), value);
                }
            });
            return out;
        }

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ApiKeys apiKeys;
            try {
                apiKeys = ApiKeys.load(keys);
            } catch (NoSuchFileException e) {
                err.println("llm-audit ingest serve: no such keys file: " + keys + " (create one with: llm-audit ingest new-key --tenant NAME --keys " + keys + ")");
                return 2;
            } catch (IllegalArgumentException e) {
                err.println(e.getMessage());
                return 2;
            }
            Map<String, String> registry = cluster.registry();
            String hmac = System.getenv(hmacEnv);
            GatewayConfig config;
            try {
                Map<String, String> http = new LinkedHashMap<>();
                if (httpConfig != null) {
                    java.util.Properties p = new java.util.Properties();
                    try (var in = Files.newInputStream(httpConfig)) {
                        p.load(in);
                    }
                    for (String k : p.stringPropertyNames()) {
                        if (!k.startsWith("ingest.") && !k.startsWith("admin.")) {
                            throw new IllegalArgumentException(httpConfig + ": unknown setting \"" + k + "\" (use ingest.<key> or admin.<key>)");
                        }
                        http.put(k, p.getProperty(k));
                    }
                }
                GatewayConfig defaults = GatewayConfig.defaults(cluster.bootstrap, cluster.registryUrl);
                var listener = defaults.listener().bind("ingest.", http, System.getenv(), "LLM_AUDIT_INGEST_HTTP_").withPort(host, port);
                var admin = defaults.admin().bind("admin.", http, System.getenv(), "LLM_AUDIT_INGEST_ADMIN_").withPort(host, adminPort);
                config = new GatewayConfig(listener, admin, cluster.bootstrap, topic, registry, maxBody, 10_000, maxInFlight, producers,
                        Duration.ofSeconds(15), "llm-audit-ingest-" + java.net.InetAddress.getLocalHost().getHostName() + "-" + port,
                        hmac == null ? null : hmac.getBytes(StandardCharsets.UTF_8), kafkaClientSettings(cluster.kafkaConfig, System.getenv()),
                        maxAge, dev.llmaudit.schemas.EventBounds.DEFAULT_FUTURE_SKEW);
            } catch (IllegalArgumentException e) {
                err.println("llm-audit ingest serve: " + e.getMessage());
                return 2;
            }
            CountDownLatch stop = new CountDownLatch(1);
            try (IngestGateway gateway = IngestGateway.start(config, apiKeys)) {
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                String scheme = config.listener().tls() == null ? "http" : "https";
                out.printf("Ingest gateway listening on %s://%s:%d/v1/events (%d API keys; Kafka %s; topic %s); health and metrics on :%d. Ctrl-C to stop.%n",
                        scheme, host, gateway.port(), apiKeys.size(), cluster.bootstrap, topic, gateway.adminPort());
                out.printf("Try: curl -s -H 'Authorization: Bearer <key>' -H 'Content-Type: application/json' \\%n"
                        + "  -d '{\"event_id\":\"demo-1\",\"event_time\":\"" + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\",\"cloud\":\"openai\",\"request_model\":\"gpt-5.5\","
                        + "\"input_tokens\":100,\"output_tokens\":20}' %s://localhost:%d/v1/events%n", scheme, gateway.port());
                out.flush();
                stop.await();
            } catch (IllegalStateException e) {
                err.println("llm-audit ingest serve: " + e.getMessage());
                return 1;
            }
            return 0;
        }
    }

    @Command(name = "new-key", mixinStandardHelpOptions = true,
            description = {"Create an API key for a tenant: appends its SHA-256 hash to the keys file and prints the key once.",
                    "The key itself is never stored."})
    static final class NewKey implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--tenant", required = true, description = "Tenant every event sent with this key is stamped with.")
        String tenant;

        @Option(names = "--keys", required = true, description = "Keys file to append to (created if missing).")
        Path keys;

        @Override
        public Integer call() throws IOException {
            if (!tenant.matches("[A-Za-z0-9._-]{1,256}")) {
                spec.commandLine().getErr().println("llm-audit ingest new-key: tenant must be letters, digits, . _ - (got \"" + tenant + "\")");
                return 2;
            }
            String key = ApiKeys.newKey();
            Files.writeString(keys, ApiKeys.line(key, tenant) + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            spec.commandLine().getOut().println(key);
            spec.commandLine().getErr().println("Key for tenant " + tenant + " added to " + keys + " (only its hash is stored; keep the key above safe).");
            return 0;
        }
    }
}
