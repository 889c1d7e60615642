package dev.llmaudit.cli;

import dev.llmaudit.cli.focus.BillingAccounts;
import dev.llmaudit.cli.focus.ExportTarget;
import dev.llmaudit.cli.focus.FocusExport;
import dev.llmaudit.cli.focus.FocusFiles;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.YearMonth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llm-audit export}: data for other tools. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export llm-audit data for other tools.",
        subcommands = ExportCommand.Focus.class)
final class ExportCommand extends GroupCommand {

    @Command(name = "focus", mixinStandardHelpOptions = true,
            description = {"Write the usage rollups as FOCUS 1.2 cost and usage files (Parquet or CSV.gz) to S3 or a directory,",
                    "in AWS Data Exports' layout: NAME/data/BILLING_PERIOD=YYYY-MM/NAME-YYYY-MM-DD.snappy.parquet, one file per",
                    "UTC day holding the latest revision of every rollup plus corrections, rewritten when they change, and",
                    "NAME/metadata/BILLING_PERIOD=YYYY-MM/NAME-Manifest.json (FocusVersion, columns, files, totals) written last.",
                    "One-shot by default (exit 0; 3 when something read is not in the files: rows withheld for want of a billing",
                    "account, records that could not be decoded or exported; 1 when the files could not be written); --follow keeps",
                    "the files current. Credentials for S3 come from the AWS SDK's default chain (environment, profile, role)."})
    static final class Focus implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ClusterOptions cluster;

        @Option(names = "--to", required = true, defaultValue = "${env:LLM_AUDIT_FOCUS_TO}", paramLabel = "URI",
                description = "s3://BUCKET/PREFIX or file:///DIRECTORY (LLM_AUDIT_FOCUS_TO).")
        URI to;

        @Option(names = "--format", defaultValue = "${env:LLM_AUDIT_FOCUS_FORMAT:-parquet}",
                description = "parquet (snappy) or csv (gzip) (LLM_AUDIT_FOCUS_FORMAT). Default: ${DEFAULT-VALUE}.")
        String format;

        @Option(names = "--name", defaultValue = "${env:LLM_AUDIT_FOCUS_NAME:-llm-audit-focus}",
                description = "Export name: folder and file prefix (LLM_AUDIT_FOCUS_NAME). Default: ${DEFAULT-VALUE}.")
        String name;

        @Option(names = "--granularity", defaultValue = "hour",
                description = "hour or day: which rollups to export (never both: the same calls would count twice). Default: ${DEFAULT-VALUE}.")
        String granularity;

        @Option(names = "--since", paramLabel = "YYYY-MM", description = "First billing period to export (default: all in the topic).")
        YearMonth since;

        @Option(names = "--periods", paramLabel = "N", defaultValue = "${env:LLM_AUDIT_FOCUS_PERIODS:-0}",
                description = {"Export the last N billing periods up to the current month, and hold only those in memory: as months",
                        "pass, --follow lets the oldest go 7 days after it ended (its files stay as last written).",
                        "0 = all (LLM_AUDIT_FOCUS_PERIODS). Default: ${DEFAULT-VALUE}."})
        int periods;

        @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:LLM_AUDIT_FOCUS_CONFIG}",
                description = "YAML with billing_accounts per cloud: {id, name, invoice_issuer} (LLM_AUDIT_FOCUS_CONFIG).")
        Path config;

        @Option(names = "--billing-account", paramLabel = "CLOUD=ID[,NAME]",
                description = "A cloud's billing account, e.g. aws=123456789012,Contoso payer (repeatable; over --config).")
        List<String> billingAccounts = List.of();

        @Option(names = "--follow", description = "Keep reading and rewrite changed days every --interval until stopped.")
        boolean follow;

        @Option(names = "--interval", defaultValue = "PT1M", description = "How often --follow writes changed days (ISO-8601). Default: ${DEFAULT-VALUE}.")
        Duration interval;

        @Option(names = "--topic", description = "Rollups topic. Default: ${DEFAULT-VALUE}.", defaultValue = "llm.usage.rollups")
        String topic;

        @Option(names = "--s3-endpoint", paramLabel = "URL", defaultValue = "${env:LLM_AUDIT_S3_ENDPOINT}",
                description = "Endpoint of an S3-compatible store (LLM_AUDIT_S3_ENDPOINT); path-style addressing is used with it.")
        URI s3Endpoint;

        @Option(names = "--s3-region", defaultValue = "${env:AWS_REGION}",
                description = "Bucket region (AWS_REGION; us-east-1 when an endpoint is given without one).")
        String s3Region;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            FocusExport.Settings settings;
            ExportTarget target;
            try {
                FocusFiles.Format f = switch (format.toLowerCase(java.util.Locale.ROOT)) {
                    case "parquet" -> FocusFiles.Format.PARQUET;
                    case "csv", "csv.gz" -> FocusFiles.Format.CSV;
                    default -> throw new IllegalArgumentException("--format " + format + ": use parquet or csv");
                };
                if (!granularity.equals("hour") && !granularity.equals("day")) {
                    throw new IllegalArgumentException("--granularity " + granularity + ": use hour or day");
                }
                if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
                    throw new IllegalArgumentException("--name " + name + ": letters, digits, '.', '_' and '-' only (it is a folder name)");
                }
                if (periods < 0 || periods > 120) {
                    throw new IllegalArgumentException("--periods " + periods + ": 0 (all) to 120");
                }
                if (interval.isNegative() || interval.compareTo(Duration.ofSeconds(1)) < 0) {
                    throw new IllegalArgumentException("--interval " + interval + ": at least PT1S");
                }
                BillingAccounts accounts = config == null ? new BillingAccounts(Map.of()) : BillingAccounts.load(config);
                Map<String, BillingAccounts.Account> flags = new LinkedHashMap<>();
                for (String b : billingAccounts) {
                    var e = BillingAccounts.parse(b);
                    flags.put(e.getKey(), e.getValue());
                }
                accounts = accounts.with(flags);
                if (accounts.byCloud().isEmpty()) {
                    err.println("llm-audit export focus: no billing account is configured, so every row will be withheld"
                            + " (FOCUS BillingAccountId is never null): add --billing-account CLOUD=ID or --config FILE");
                }
                settings = new FocusExport.Settings(name, f, granularity, since, periods, accounts);
                String region = s3Region != null ? s3Region : s3Endpoint != null ? "us-east-1" : null;
                target = ExportTarget.open(to, new ExportTarget.S3Settings(s3Endpoint, region, s3Endpoint != null));
            } catch (IllegalArgumentException | java.io.IOException | java.nio.file.FileSystemNotFoundException e) {
                err.println("llm-audit export focus: " + e.getMessage());
                return 2;
            } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
                err.println("llm-audit export focus: " + e.getMessage() + " (set --s3-region or AWS_REGION)");
                return 2;
            }
            Properties client = new Properties();
            client.putAll(cluster.kafkaClient());
            client.put("bootstrap.servers", cluster.bootstrap);
            SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(Map.copyOf(cluster.registry())));
            Path scratch = Files.createTempDirectory("llm-audit-focus-");
            FocusExport export = new FocusExport(settings, target, scratch, Clock.systemUTC());
            java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
            // Ctrl-C / SIGTERM: stop reading, write what was read, then let the JVM exit.
            Thread stopper = new Thread(() -> {
                export.stop();
                try {
                    // Less than Kubernetes' default grace period (30 s): the last write gets its chance, the pod is not killed.
                    finished.await(25, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(stopper);
            try (target) {
                FocusExport.Summary s = export.run(client, registry, topic, follow, interval, err);
                if (!s.caughtUp()) {
                    err.println("llm-audit export focus: stopped before reading " + topic + " to its end; nothing was written");
                    return 1;
                }
                err.printf("llm-audit export focus: %,d records read, %,d rows in %d file(s) and %d manifest(s) at %s%n", s.records(), s.rows(),
                        s.filesWritten(), s.manifestsWritten(), target.describe(name + "/"));
                if (s.undecodable() + s.invalid() + s.lateForEvicted() > 0) {
                    err.printf("llm-audit export focus: %d record(s) could not be decoded, %d could not be exported and %d came for a billing"
                            + " period already let go (see the warnings); they are not in the files, and the manifests count them%n",
                            s.undecodable(), s.invalid(), s.lateForEvicted());
                }
                if (s.revisionsBack() > 0) {
                    err.printf("llm-audit export focus: %d rollup(s) went back to a lower revision (a rollups job restarted without its"
                            + " state?); the files hold the later records, as the topic does%n", s.revisionsBack());
                }
                if (!s.withheldRows().isEmpty()) {
                    err.println("llm-audit export focus: withheld " + s.withheldRows() + " row(s) by cloud: no billing account configured for"
                            + " them; add --billing-account CLOUD=ID and export again (the manifests list what they cost)");
                }
                return s.incomplete() ? 3 : 0;
            } catch (IllegalStateException | java.io.IOException e) {
                err.println("llm-audit export focus: " + e.getMessage());
                return 1;
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it waits for finished
                }
                try (var files = Files.list(scratch)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(scratch);
            }
        }
    }
}
