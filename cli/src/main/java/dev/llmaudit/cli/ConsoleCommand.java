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

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, ConsoleServer.Role> known = tokens == null ? Map.of() : ConsoleServer.loadTokens(tokens);
        Properties client = new Properties();
        client.putAll(cluster.kafkaClient());
        client.put("bootstrap.servers", cluster.bootstrap);
        SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(Map.copyOf(cluster.registry())));
        ConsoleData data = new ConsoleData();
        try (ConsoleFeed feed = new ConsoleFeed(client, registry, topics(), data);
             ConsoleServer server = ConsoleServer.start(data, known, host, port)) {
            err.println("llm-audit console: http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port() + "/"
                    + (known.isEmpty() ? " (no token needed on this loopback address)" : " (" + known.size() + " token(s))"));
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        } catch (IllegalArgumentException e) {
            err.println("llm-audit console: " + e.getMessage());
            return 2;
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
