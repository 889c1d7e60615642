package dev.llmaudit.cli;

import dev.llmaudit.cli.console.ConsoleData;
import dev.llmaudit.cli.console.ConsoleFeed;
import dev.llmaudit.cli.console.ConsoleServer;
import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llm-audit console}: spend, budgets, savings, violations and dead letters in a browser. */
@Command(name = "console", mixinStandardHelpOptions = true, subcommands = ConsoleCommand.NewToken.class,
        description = {"Serve the web console: spend over time by cloud, team and model; budgets; savings from the cheapest",
                "compliant route; violations with filters; the dead-letter topic. Live (the page refreshes when data changes).",
                "Binds to 127.0.0.1 by default, where no token is needed. Bound elsewhere it requires --tokens: finance tokens",
                "see spend, budgets and savings; security tokens see violations and dead letters; admin tokens see everything."})
final class ConsoleCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--host", defaultValue = "${env:LLM_AUDIT_CONSOLE_HOST:-127.0.0.1}",
            description = "Address to bind (LLM_AUDIT_CONSOLE_HOST). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "${env:LLM_AUDIT_CONSOLE_PORT:-8095}", description = "Port (LLM_AUDIT_CONSOLE_PORT). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--tokens", paramLabel = "FILE", defaultValue = "${env:LLM_AUDIT_CONSOLE_TOKENS}",
            description = "Token hashes and roles (LLM_AUDIT_CONSOLE_TOKENS), made by 'llm-audit console new-token'.")
    Path tokens;

    @Option(names = "--http-config", paramLabel = "FILE",
            description = {"Listener settings (properties) console.<key>: tls.keystore, tls.keystore.type (PKCS12|PEM), tls.keystore.password,",
                    "tls.key, idle.timeout, max.connections, ... (see http/README.md). Environment: LLM_AUDIT_CONSOLE_HTTP_<KEY>.",
                    "TLS is required when binding to anything but a loopback address."})
    Path httpConfig;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, ConsoleServer.Role> known;
        dev.llmaudit.http.ListenerSettings listener;
        try {
            known = tokens == null ? Map.of() : ConsoleServer.loadTokens(tokens);
            Map<String, String> http = new java.util.HashMap<>();
            if (httpConfig != null) {
                Properties props = new Properties();
                try (var in = Files.newInputStream(httpConfig)) {
                    props.load(in);
                }
                for (String k : props.stringPropertyNames()) {
                    if (!k.startsWith("console.")) {
                        throw new IllegalArgumentException(httpConfig + ": unknown setting \"" + k + "\" (use console.<key>)");
                    }
                    http.put(k, props.getProperty(k));
                }
            }
            listener = dev.llmaudit.http.ListenerSettings.api("console", host, port).bind("console.", http, System.getenv(),
                    "LLM_AUDIT_CONSOLE_HTTP_").withPort(host, port);
        } catch (IllegalArgumentException | java.io.IOException e) {
            err.println("llm-audit console: " + e.getMessage());
            return 2;
        }
        Properties client = new Properties();
        client.putAll(cluster.kafkaClient());
        client.put("bootstrap.servers", cluster.bootstrap);
        SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(Map.copyOf(cluster.registry())));
        ConsoleData data = new ConsoleData();
        try (ConsoleFeed feed = new ConsoleFeed(client, registry, topics(), data);
             ConsoleServer server = ConsoleServer.start(data, known, listener, feed::health)) {
            err.println("llm-audit console: " + (listener.tls() == null ? "http" : "https") + "://" + (host.contains(":") ? "[" + host + "]" : host)
                    + ":" + server.port() + "/"
                    + (known.isEmpty() ? " (no token needed on this loopback address)" : " (" + known.size() + " token(s))"));
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        } catch (IllegalArgumentException e) {
            err.println("llm-audit console: " + e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            err.println("llm-audit console: cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); is it in use? try --port");
            return 1;
        }
        return 0;
    }

    static ConsoleFeed.Topics topics() {
        PipelineTopics t = PipelineTopics.defaults();
        return new ConsoleFeed.Topics(t.rollups(), t.budgetStatus(), t.violations(), t.dlq());
    }

    @Command(name = "new-token", mixinStandardHelpOptions = true,
            description = "Make a console token for a role; prints it once and appends only its SHA-256 to the tokens file.")
    static final class NewToken implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--role", required = true, description = "finance, security or admin.")
        ConsoleServer.Role role;

        @Option(names = "--tokens", required = true, paramLabel = "FILE", description = "Tokens file (created when missing).")
        Path file;

        @Override
        public Integer call() throws Exception {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String token = "llc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Files.writeString(file, ConsoleServer.sha256(token) + " " + role + System.lineSeparator(), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            spec.commandLine().getOut().println(token);
            spec.commandLine().getErr().println("llm-audit console: a " + role + " token was added to " + file
                    + "; it is shown only now");
            return 0;
        }
    }
}
