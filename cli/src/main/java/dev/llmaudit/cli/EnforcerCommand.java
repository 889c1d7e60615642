package dev.llmaudit.cli;

import dev.llmaudit.enforcer.Enforcer;
import dev.llmaudit.enforcer.EnforcerConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The Kafka Streams enforcer. */
@Command(name = "enforcer", mixinStandardHelpOptions = true,
        description = "Price every event and apply residency, model and spend policies, exactly once.",
        subcommands = {EnforcerCommand.Run.class})
final class EnforcerCommand extends GroupCommand {
    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Run the enforcer until Ctrl-C. Settings come from --config (a properties file) and",
                    "LLM_AUDIT_ENFORCER_<KEY> / LLM_AUDIT_BOOTSTRAP_SERVERS / LLM_AUDIT_SCHEMA_REGISTRY_URL environment variables",
                    "(key a.b is variable LLM_AUDIT_ENFORCER_A_B). Besides the keys below: http.* (health and metrics listener)",
                    "and streams.* (passed to Kafka Streams)."},
            footerHeading = "%nKeys:%n")
    static final class Run implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "Properties file (optional: defaults and environment variables work alone).")
        Path config;

        @Override
        public Integer call() throws Exception {
            EnforcerConfig c;
            try {
                c = EnforcerConfig.load(config, System.getenv());
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("llm-audit enforcer run: " + e.getMessage());
                return 2;
            }
            CountDownLatch stop = new CountDownLatch(1);
            try (Enforcer enforcer = Enforcer.start(c)) {
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                spec.commandLine().getOut().printf("Enforcer %s running on %s (health: http://localhost:%d/readyz). Ctrl-C to stop.%n",
                        c.applicationId(), c.bootstrapServers(), enforcer.httpPort());
                spec.commandLine().getOut().flush();
                stop.await();
            } catch (IllegalArgumentException | IllegalStateException e) {
                spec.commandLine().getErr().println("llm-audit enforcer run: " + e.getMessage());
                return 1;
            }
            return 0;
        }
    }
}
