package dev.llmaudit.cli;

import dev.llmaudit.rollups.RollupsConfig;
import dev.llmaudit.rollups.RollupsMain;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The Flink rollups job. */
@Command(name = "rollups", mixinStandardHelpOptions = true,
        description = "Usage and spend rollups for finance: hourly and daily, by event time, exactly once, FOCUS columns.",
        subcommands = {RollupsCommand.Run.class})
final class RollupsCommand extends GroupCommand {
    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Run the rollups job in this process (a local Flink cluster) until Ctrl-C, or until the input",
                    "present at start is processed with bounded=true. On a Flink cluster, submit the job jar instead",
                    "(stream-jobs/rollups/target/llm-audit-rollups-job.jar, main class dev.llmaudit.rollups.RollupsMain).",
                    "Settings come from --config (a properties file) and LLM_AUDIT_ROLLUPS_<KEY> /",
                    "LLM_AUDIT_BOOTSTRAP_SERVERS / LLM_AUDIT_SCHEMA_REGISTRY_URL environment variables.",
                    "Besides the keys below: kafka.* (Kafka source and sinks) and flink.* (Flink configuration of a local run)."},
            footerHeading = "%nKeys:%n")
    static final class Run implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "Properties file (optional: defaults and environment variables work alone).")
        Path config;

        @Override
        public Integer call() throws Exception {
            RollupsConfig c;
            JobClient job;
            try {
                c = RollupsConfig.load(config, System.getenv());
                job = RollupsMain.start(c, Clock.systemUTC());
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("llm-audit rollups run: " + e.getMessage());
                return 2;
            } catch (IllegalStateException e) {
                // Kafka unreachable while creating the output topics, or a bundle that cannot be shipped.
                spec.commandLine().getErr().println("llm-audit rollups run: " + e.getMessage());
                return 1;
            }
            Thread cancel = new Thread(() -> {
                try {
                    job.cancel().get(30, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // The process is exiting; the last checkpoint has what was committed.
                }
            });
            Runtime.getRuntime().addShutdownHook(cancel);
            spec.commandLine().getOut().printf("Rollups job %s running locally: %s -> %s on %s (output committed every %ds%s).%n",
                    job.getJobID(), c.pricedTopic(), c.rollupsTopic(), c.bootstrapServers(), c.checkpointInterval().toSeconds(),
                    c.bounded() ? "; stops when the input present at start is processed" : "; Ctrl-C to stop");
            spec.commandLine().getOut().flush();
            try {
                job.getJobExecutionResult().get();
            } catch (java.util.concurrent.ExecutionException e) {
                spec.commandLine().getErr().println("llm-audit rollups run: the job failed: " + rootMessage(e));
                return 1;
            }
            Runtime.getRuntime().removeShutdownHook(cancel);
            spec.commandLine().getOut().println("Rollups job finished; every rollup is committed.");
            return 0;
        }

        private static String rootMessage(Throwable t) {
            Throwable root = t;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return root.getClass().getSimpleName() + ": " + root.getMessage();
        }
    }
}
