package dev.llmaudit.cli.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.rollups.RollupsConfig;
import dev.llmaudit.schemas.json.AvroJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llm-audit local}: the whole pipeline in one process, fed by a simulator or a file. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Run the whole pipeline on this machine, with live progress: start here.",
                "Starts an embedded Kafka broker and schema registry, the ingest gateway, the enforcer and the rollups job,",
                "fed by a traffic simulator (multi-cloud calls with residency breaches, a team over budget, an unpriced model,",
                "malformed events) or by --events-file. Ctrl-C stops it cleanly; run it again on the same --work-dir to continue."})
public final class LocalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--console-port", defaultValue = "8095",
            description = "Port of the web console on 127.0.0.1 (0 = any free port; -1 = no console). Default: ${DEFAULT-VALUE}.")
    int consolePort;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = ".llm-audit-local",
            description = "Where Kafka data, enforcer state and rollup checkpoints live (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--events-file", paramLabel = "FILE.jsonl",
            description = "Replay these canonical JSON events (one per line) instead of the simulator; bad lines are reported and skipped.")
    Path eventsFile;

    @Option(names = "--out", paramLabel = "DIR",
            description = "At the end, write what reached llm.violations, llm.usage.rollups (latest per key), llm.budget.status "
                    + "(latest per key) and llm.events.dlq as JSON lines, one file per topic.")
    Path out;

    @Option(names = "--exit-when-idle",
            description = "Stop once the input is sent, every event is processed and every rollup window is closed (flushed at the end).")
    boolean exitWhenIdle;

    @Option(names = "--events", paramLabel = "N", description = "Simulated calls to send (default: unlimited, or 2000 with --exit-when-idle).")
    Long events;

    @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "200", description = "Simulated calls per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--port", defaultValue = "8088", description = "Ingest gateway port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Schema registry port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--bundle", paramLabel = "DIR", defaultValue = "${env:LLM_AUDIT_HOME:-.}/policies/bundle",
            description = "Policy bundle (default: the repository's, ${DEFAULT-VALUE}).")
    Path bundle;

    @Option(names = "--seed", defaultValue = "42", description = "Simulator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (eventsFile != null && !Files.isRegularFile(eventsFile)) {
            err.println("llm-audit local: no such events file: " + eventsFile);
            return 2;
        }
        if (!Files.isDirectory(bundle)) {
            err.println("llm-audit local: no policy bundle at " + bundle + " (run from the repository root, or pass --bundle DIR)");
            return 2;
        }
        long total = events != null ? events : exitWhenIdle && eventsFile == null ? 2000 : 0;
        java.util.function.Consumer<String> log = line -> {
            o.println(LocalTime.now().format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")) + " " + line);
            o.flush();
        };
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopping.set(true);
            try {
                finished.await(90, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "llm-audit-local-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        LocalStack stack = null;
        try {
            try {
                stack = LocalStack.start(new LocalStack.Options(workDir.toAbsolutePath(), kafkaPort, registryPort, port,
                        bundle.toAbsolutePath()), log);
            } catch (Exception e) {
                err.println("llm-audit local: could not start: " + e.getMessage()
                        + " (is another llm-audit local or a Kafka/registry already using the ports? try --kafka-port 0 --registry-port 0 --port 0)");
                return 1;
            }
            if (!exitWhenIdle) {
                stack.startRollups(false);
            }
            Properties client = new Properties();
            client.put("bootstrap.servers", stack.bootstrapServers());
            SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.of(stack.registryUrl()));
            if (consolePort >= 0) {
                dev.llmaudit.cli.console.ConsoleData data = new dev.llmaudit.cli.console.ConsoleData();
                stack.consoleFeed = new dev.llmaudit.cli.console.ConsoleFeed(client, registry, new dev.llmaudit.cli.console.ConsoleFeed.Topics(
                        dev.llmaudit.jobs.PipelineTopics.defaults().rollups(), stack.topics.budgetStatus(), stack.topics.violations(),
                        stack.topics.dlq()), data);
                try {
                    stack.console = dev.llmaudit.cli.console.ConsoleServer.start(data, java.util.Map.of(),
                            dev.llmaudit.http.ListenerSettings.api("console", "127.0.0.1", consolePort), stack.consoleFeed::health);
                } catch (IllegalStateException e) {
                    err.println("llm-audit local: the web console cannot listen on 127.0.0.1:" + consolePort + " (" + e.getMessage()
                            + "); use --console-port 0 for any free port, or -1 for no console");
                    return 1;
                }
            }
            banner(o, stack);
            Ingest ingest = new Ingest();
            LocalStack s = stack;
            Thread input = new Thread(() -> {
                try {
                    if (eventsFile != null) {
                        ingest.replay(eventsFile, client, registry, s.topics.events(), log);
                    } else {
                        // A buggy producer bypassing client and gateway: the enforcer must dead-letter these.
                        Ingest.corrupt(client, s.topics.events(), 2);
                        ingest.simulate(new TrafficSimulator(seed, Clock.systemUTC()), s.gatewayUrl(), s.apiKeys, rate, total,
                                stopping::get, log);
                    }
                } catch (Exception e) {
                    log.accept("input stopped: " + e);
                }
            }, "llm-audit-local-input");
            input.start();
            try (LiveStats stats = new LiveStats(client, registry, stack.topics.priced(), stack.topics.violations(), stack.topics.dlq())) {
                long lastSent = 0;
                long lastTime = System.nanoTime();
                int idleChecks = 0;
                while (!stopping.get()) {
                    Thread.sleep(2_000);
                    long now = System.nanoTime();
                    long sent = ingest.sent.get();
                    log.accept(String.format("sent %,d (%,.0f/s), rejected at ingest %,d | %s", sent,
                            (sent - lastSent) / ((now - lastTime) / 1e9), ingest.rejected.get(), stats.summary()));
                    lastSent = sent;
                    lastTime = now;
                    if (exitWhenIdle && !input.isAlive()) {
                        idleChecks = idle(client, stack) ? idleChecks + 1 : 0;
                        if (idleChecks >= 2) {
                            break;
                        }
                    }
                }
                input.join(10_000);
                if (exitWhenIdle && !stopping.get()) {
                    log.accept("every event processed; computing the rollups of everything in llm.events.priced and flushing every window");
                    Thread.sleep(1_500);   // budget statuses are written on a 1 s interval
                    stack.startRollups(true);
                    stack.rollups.getJobExecutionResult().get(10, TimeUnit.MINUTES);
                    stack.rollups = null;
                    log.accept("rollups committed. " + stats.summary());
                }
            }
            if (out != null) {
                writeOut(client, registry, out, stack, log);
            }
            return 0;
        } finally {
            if (stack != null) {
                log.accept("stopping");
                stack.close();
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for us.
            }
        }
    }

    private void banner(PrintWriter o, LocalStack stack) {
        o.println();
        o.println("llm-audit local is running (work dir " + stack.options.workDir() + ")");
        o.println("  Kafka:            " + stack.bootstrapServers());
        o.println("  schema registry:  " + stack.registryUrl());
        o.println("  ingest gateway:   " + stack.gatewayUrl());
        if (stack.console != null) {
            o.println("  web console:      http://127.0.0.1:" + stack.console.port() + "/   (spend, budgets, savings, violations, dead letters)");
        }
        o.println("  topics:           llm.events -> llm.events.priced -> llm.usage.rollups; llm.violations, llm.budget.status, llm.events.dlq");
        o.println("Post your own event (tenant \"demo\"; it declares EU residency but uses a global deployment):");
        o.println("  curl -s -X POST " + stack.gatewayUrl() + " -H 'Authorization: Bearer " + stack.apiKeys.get("demo") + "' \\");
        o.println("    -H 'Content-Type: application/json' -d '{\"event_id\":\"my-first-call\",\"event_time\":\"" + java.time.Instant.now()
                .truncatedTo(ChronoUnit.SECONDS) + "\",\"cloud\":\"azure\",\"region\":\"swedencentral\",\"deployment_scope\":\"global\","
                + "\"request_model\":\"gpt-5.5\",\"data_residency\":\"eu\",\"input_tokens\":1000,\"output_tokens\":200}'");
        o.println("Watch: llm-audit tail violations --bootstrap-servers " + stack.bootstrapServers() + " --schema-registry-url " + stack.registryUrl());
        o.println(exitWhenIdle ? "Stops by itself once everything is processed." : "Ctrl-C to stop.");
        o.println();
        o.flush();
    }

    /** True when the enforcer has committed every record of its input and of its internal repartition topic. */
    static boolean idle(Properties client, LocalStack stack) throws Exception {
        try (Admin admin = Admin.create(client)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(LocalStack.ENFORCER_ID)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            // Its input and its internal budget repartition topic (whose partitions may have no commit yet).
            List<String> inputs = List.of(stack.topics.events(), LocalStack.ENFORCER_ID + "-budget-by-period-repartition");
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            admin.describeTopics(inputs.stream().filter(existing::contains).toList()).allTopicNames().get(30, TimeUnit.SECONDS)
                    .forEach((topic, d) -> d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS);
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                if (e.getValue().offset() > (c == null ? 0 : c.offset())) {
                    return false;
                }
            }
            return true;
        }
    }

    private static void writeOut(Properties client, SchemaRegistryClient registry, Path dir, LocalStack stack,
                                 java.util.function.Consumer<String> log) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve("violations.jsonl"), records(TopicReader.readAll(client, registry, stack.topics.violations(), PolicyViolation.class)));
        write(dir.resolve("rollups.jsonl"), TopicReader.latestPerKey(
                TopicReader.readAll(client, registry, dev.llmaudit.jobs.PipelineTopics.defaults().rollups(), UsageRollup.class)));
        write(dir.resolve("budgets.jsonl"), TopicReader.latestPerKey(
                TopicReader.readAll(client, registry, stack.topics.budgetStatus(), BudgetStatus.class)));
        write(dir.resolve("dlq.jsonl"), records(TopicReader.readAll(client, registry, stack.topics.dlq(), DeadLetter.class)));
        log.accept("wrote violations.jsonl, rollups.jsonl, budgets.jsonl, dlq.jsonl to " + dir.toAbsolutePath());
    }

    private static <T> List<T> records(List<org.apache.kafka.clients.consumer.ConsumerRecord<String, T>> rs) {
        return rs.stream().map(org.apache.kafka.clients.consumer.ConsumerRecord::value).toList();
    }

    private static void write(Path file, List<? extends SpecificRecord> records) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (SpecificRecord r : records) {
                w.write(json.writeValueAsString(AvroJson.toJson(r)));
                w.newLine();
            }
        }
    }

}
