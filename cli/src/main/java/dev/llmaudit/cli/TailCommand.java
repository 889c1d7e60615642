package dev.llmaudit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.rollups.RollupsConfig;
import dev.llmaudit.schemas.json.AvroJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import java.io.InputStream;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code llm-audit tail}: how security and finance read their topics without writing code. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Show what reached a topic: violations (security), rollups and budgets (finance), dlq (operators).",
                "A readable table by default, --json for piping. Reads from the start and follows new records",
                "(--no-follow stops at the current end). Only committed records are shown (read_committed)."})
final class TailCommand implements Callable<Integer> {
    enum What { violations, rollups, budgets, dlq }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "violations|rollups|budgets|dlq", description = "Which topic.")
    What what;

    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Kafka client properties, as --kafka-config, that may also set bootstrap.servers and schema.registry.url.")
    Path config;

    @Option(names = "--topic", description = "Topic name, when not the default for the chosen kind.")
    String topic;

    @Option(names = "--json", description = "One JSON object per line (decimals as exact strings, times as ISO-8601).")
    boolean json;

    @Option(names = "--no-follow", description = "Stop at the current end of the topic.")
    boolean noFollow;

    @Option(names = "--tenant", description = "Only this tenant.")
    String tenant;

    @Option(names = "--team", description = "Only this team.")
    String team;

    @Option(names = "--cloud", description = "Only this cloud (azure, aws, gcp, openai, ...).")
    String cloud;

    @Option(names = "--policy", description = "Only this policy id (violations, budgets).")
    String policy;

    @Option(names = "--severity", description = "Only this severity or higher (info, low, medium, high, critical; violations).")
    String severity;

    @Option(names = "--since", paramLabel = "TIME|DURATION",
            description = "Only records from this time on: ISO-8601 instant (2026-11-01T00:00:00Z) or duration back from now (PT1H, P7D).")
    String since;

    private static final List<String> SEVERITIES = List.of("info", "low", "medium", "high", "critical");

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instant from;
        try {
            from = since == null ? null : since.startsWith("P") ? Instant.now().minus(Duration.parse(since)) : Instant.parse(since);
        } catch (DateTimeParseException e) {
            err.println("llm-audit tail: --since takes an ISO-8601 instant like 2026-11-01T00:00:00Z or a duration like PT1H (got \"" + since + "\")");
            return 2;
        }
        if (severity != null && !SEVERITIES.contains(severity)) {
            err.println("llm-audit tail: --severity must be one of " + SEVERITIES + " (got \"" + severity + "\")");
            return 2;
        }
        Properties client = new Properties();
        client.putAll(cluster.kafkaClient());
        if (config != null) {
            try (InputStream in = Files.newInputStream(config)) {
                client.load(in);
            }
        }
        client.putIfAbsent("bootstrap.servers", cluster.bootstrap);
        Map<String, Object> registry = new HashMap<>(cluster.registry());
        if (client.getProperty("schema.registry.url") != null) {
            registry.put(RegistryConfig.URL, client.getProperty("schema.registry.url"));
        }
        client.remove("schema.registry.url");
        client = dev.llmaudit.cli.local.TopicReader.committedReader(client, "tail");
        SchemaRegistryClient registryClient = new SchemaRegistryClient(RegistryConfig.fromMap(registry));
        PipelineTopics topics = PipelineTopics.defaults();
        String name = topic != null ? topic : switch (what) {
            case violations -> topics.violations();
            case rollups -> dev.llmaudit.jobs.PipelineTopics.defaults().rollups();
            case budgets -> topics.budgetStatus();
            case dlq -> topics.dlq();
        };
        Class<? extends SpecificRecord> type = switch (what) {
            case violations -> PolicyViolation.class;
            case rollups -> UsageRollup.class;
            case budgets -> BudgetStatus.class;
            case dlq -> DeadLetter.class;
        };
        AtomicBoolean stop = new AtomicBoolean();
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop.set(true);
            main.interrupt();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        ObjectMapper mapper = new ObjectMapper();
        if (!json) {
            out.println(header());
        }
        try (KafkaConsumer<String, ? extends SpecificRecord> c = new KafkaConsumer<>(client, new StringDeserializer(),
                new ConfluentAvroDeserializer<>(registryClient, type))) {
            List<TopicPartition> parts;
            try {
                parts = c.partitionsFor(name, Duration.ofSeconds(30)).stream().map(i -> new TopicPartition(name, i.partition())).toList();
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                err.println("llm-audit tail: cannot reach Kafka at " + client.getProperty("bootstrap.servers")
                        + " within 30 s (check --bootstrap-servers, or --config for TLS/SASL settings)");
                return 1;
            }
            if (parts.isEmpty()) {
                err.println("llm-audit tail: topic " + name + " does not exist on " + client.getProperty("bootstrap.servers")
                        + " (is the pipeline running? pass --topic for another name)");
                return 1;
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (!stop.get()) {
                for (ConsumerRecord<String, ? extends SpecificRecord> r : c.poll(Duration.ofMillis(500))) {
                    SpecificRecord v = r.value();
                    if (v != null && matches(v, from)) {
                        out.println(json ? mapper.writeValueAsString(AvroJson.toJson(v)) : row(v));
                    }
                }
                out.flush();
                if (noFollow && parts.stream().allMatch(p -> c.position(p) >= end.get(p))) {
                    break;
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            // Ctrl-C
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // already exiting
            }
        }
        return 0;
    }

    boolean matches(SpecificRecord v, Instant from) {
        if (v instanceof PolicyViolation x) {
            return eq(tenant, x.getTenant()) && eq(team, x.getTeam()) && eq(cloud, x.getCloud() == null ? null : x.getCloud().name())
                    && eq(policy, x.getPolicyId())
                    && (severity == null || SEVERITIES.indexOf(x.getSeverity().name()) >= SEVERITIES.indexOf(severity))
                    && (from == null || !x.getDetectedAt().isBefore(from));
        }
        if (v instanceof UsageRollup x) {
            return eq(tenant, x.getXTenant()) && eq(team, x.getXTeam()) && eq(cloud, x.getXCloud() == null ? null : x.getXCloud().name())
                    && (from == null || !x.getChargePeriodEnd().isBefore(from));
        }
        if (v instanceof BudgetStatus x) {
            return eq(tenant, x.getScope().get("tenant")) && eq(team, x.getScope().get("team")) && eq(cloud, x.getScope().get("cloud"))
                    && eq(policy, x.getBudgetId()) && (from == null || !x.getUpdatedAt().isBefore(from));
        }
        if (v instanceof DeadLetter x) {
            return from == null || !x.getFailedAt().isBefore(from);
        }
        return true;
    }

    private static boolean eq(String wanted, String actual) {
        return wanted == null || wanted.equals(actual);
    }

    // One column layout per kind, shared by the header and the rows so they cannot drift apart.
    private static final String VIOLATION_COLUMNS = "%-20s %-8s %-24s %-22s %-24s %s";
    private static final String ROLLUP_COLUMNS = "%-17s %-4s %3s %-26s %-22s %-34s %8s %12s %14s %14s";
    private static final String BUDGET_COLUMNS = "%-24s %-38s %-8s %14s %14s %5s %6s %-20s";
    private static final String DLQ_COLUMNS = "%-20s %-12s %-32s %s";

    String header() {
        return switch (what) {
            case violations -> String.format(VIOLATION_COLUMNS, "DETECTED", "SEVERITY", "POLICY", "TENANT/TEAM", "EVENT", "MESSAGE");
            case rollups -> String.format(ROLLUP_COLUMNS, "PERIOD START", "GRAN", "REV", "TENANT/TEAM/APP", "CLOUD/REGION", "MODEL", "CALLS",
                    "TOKENS", "LIST COST", "SAVING");
            case budgets -> String.format(BUDGET_COLUMNS, "BUDGET", "SCOPE", "PERIOD", "SPENT", "LIMIT", "USED", "CROSS", "UPDATED");
            case dlq -> String.format(DLQ_COLUMNS, "FAILED", "STAGE", "SOURCE", "ERROR");
        };
    }

    static String row(SpecificRecord v) {
        if (v instanceof PolicyViolation x) {
            return String.format(VIOLATION_COLUMNS, time(x.getDetectedAt()), x.getSeverity(), cut(x.getPolicyId(), 24),
                    cut(nz(x.getTenant()) + "/" + nz(x.getTeam()), 22), cut(nz(x.getEventId()), 24), x.getMessage());
        }
        if (v instanceof UsageRollup x) {
            return String.format(ROLLUP_COLUMNS, time(x.getChargePeriodStart()).substring(0, 16), x.getXGranularity(), x.getXRevision(),
                    cut(nz(x.getXTenant()) + "/" + nz(x.getXTeam()) + "/" + nz(x.getXApp()), 26),
                    cut((x.getXCloud() == null ? "-" : x.getXCloud().name()) + "/" + nz(x.getRegionId()), 22), cut(nz(x.getXModel()), 34),
                    String.format("%,d", x.getXRequestCount()), String.format("%,d", x.getConsumedQuantity()),
                    money(x.getListCost().getAmount(), x.getBillingCurrency()),
                    x.getXPotentialSaving() == null ? "-" : money(x.getXPotentialSaving().getAmount(), x.getBillingCurrency()))
                    + (x.getXIsCorrection() ? " (correction)" : "") + (x.getXIsFinal() ? "" : " (provisional: the window is open)");
        }
        if (v instanceof BudgetStatus x) {
            return String.format(BUDGET_COLUMNS, cut(x.getBudgetId(), 24), cut(scope(x.getScope()), 38), x.getPeriod(),
                    money(x.getSpent().getAmount(), x.getSpent().getCurrency()), money(x.getLimit().getAmount(), x.getLimit().getCurrency()),
                    percent(x.getSpent().getAmount(), x.getLimit().getAmount()) + "%",
                    x.getLastThresholdCrossed() == null ? "-" : x.getLastThresholdCrossed() + "%", time(x.getUpdatedAt()));
        }
        if (v instanceof DeadLetter x) {
            return String.format(DLQ_COLUMNS, time(x.getFailedAt()), cut(x.getStage(), 12),
                    cut(nz(x.getSourceTopic()) + "-" + x.getSourcePartition() + "@" + x.getSourceOffset(), 32), x.getErrorMessage());
        }
        return v.toString();
    }

    private static String scope(Map<String, String> scope) {
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(scope).forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }

    private static String percent(BigDecimal spent, BigDecimal limit) {
        return limit.signum() == 0 ? "-" : spent.multiply(BigDecimal.valueOf(100)).divide(limit, 0, RoundingMode.DOWN).toPlainString();
    }

    private static String money(BigDecimal amount, String currency) {
        return amount.setScale(amount.abs().compareTo(BigDecimal.ONE) < 0 ? 4 : 2, RoundingMode.HALF_EVEN).toPlainString() + " " + currency;
    }

    private static String time(Instant t) {
        return t == null ? "-" : t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
