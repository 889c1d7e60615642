package dev.llmaudit.cli;

import static dev.llmaudit.cli.focus.FocusTestRollups.meter;
import static dev.llmaudit.cli.focus.FocusTestRollups.rollup;
import static dev.llmaudit.cli.focus.FocusTestRollups.unpriced;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code llm-audit export focus} end to end: rollups on a real broker with our registry, the export
 * to an S3-compatible server started from S3Mock's jar in its own JVM (and to a directory), and the
 * files read back by an independent engine (DuckDB) whose totals must equal the topic's exactly.
 */
@ExtendWith(KafkaClusterExtension.class)
class FocusExportIT {
    static Process s3mock;
    static int s3Port;
    static Path s3Root;

    @BeforeAll
    static void startS3Mock() throws Exception {
        String jar = System.getProperty("s3mock.jar", "target/s3mock/s3mock.jar");
        assertThat(Path.of(jar)).as("S3Mock's jar, copied by the build (maven-dependency-plugin)").exists();
        try (ServerSocket s = new ServerSocket(0)) {
            s3Port = s.getLocalPort();
        }
        s3Root = Files.createTempDirectory("s3mock-");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        s3mock = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar, "--server.port=0", "--http.port=" + s3Port,
                "--com.adobe.testing.s3mock.store.initial-buckets=focus", "--com.adobe.testing.s3mock.store.root=" + s3Root,
                "--logging.level.root=WARN")
                .redirectErrorStream(true).redirectOutput(s3Root.resolveSibling(s3Root.getFileName() + ".log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + s3Port + "/").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // still starting
            }
            assertThat(s3mock.isAlive()).as("S3Mock is running").isTrue();
            assertThat(System.nanoTime()).as("S3Mock answered within 90 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        // The SDK's default credentials chain reads these (an S3-compatible store needs some; S3Mock accepts any).
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    @AfterAll
    static void stopS3Mock() throws Exception {
        if (s3mock != null) {
            s3mock.destroy();
            s3mock.waitFor();
        }
    }

    record Run(int exit, String err) {}

    static Run export(KafkaCluster cluster, EmbeddedSchemaRegistry registry, String... args) {
        List<String> all = new ArrayList<>(List.of("export", "focus", "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry-url", registry.url()));
        all.addAll(List.of(args));
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new LlmAuditCommand()).setErr(new PrintWriter(err, true)).execute(all.toArray(String[]::new));
        return new Run(exit, err.toString());
    }

    static void produce(KafkaCluster cluster, EmbeddedSchemaRegistry registry, String topic, List<UsageRollup> rollups, byte[]... raw)
            throws Exception {
        Properties p = new Properties();
        p.putAll(cluster.clientProperties());
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.fromMap(Map.of(RegistryConfig.URL, registry.url())));
        try (KafkaProducer<String, UsageRollup> producer = new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(client, true));
             KafkaProducer<String, byte[]> bytes = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (UsageRollup r : rollups) {
                producer.send(new ProducerRecord<>(topic, r.getXRollupKey(), r)).get();
            }
            for (byte[] b : raw) {
                bytes.send(new ProducerRecord<>(topic, "garbage", b)).get();
            }
        }
    }

    /** What the compacted topic holds for a FOCUS dataset: the last record of each key (corrections have their own keys), one granularity. */
    static Map<String, UsageRollup> latest(List<UsageRollup> topic, RollupGranularity granularity) {
        Map<String, UsageRollup> out = new TreeMap<>();
        for (UsageRollup r : topic) {
            if (r.getXGranularity() == granularity) {
                out.put(r.getXRollupKey(), r);
            }
        }
        return out;
    }

    static BigDecimal sum(Iterable<UsageRollup> rollups, java.util.function.Function<UsageRollup, BigDecimal> f) {
        BigDecimal s = BigDecimal.ZERO;
        for (UsageRollup r : rollups) {
            s = s.add(f.apply(r));
        }
        return s;
    }

    static Map<String, Object> query(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            Map<String, Object> row = new LinkedHashMap<>();
            assertThat(r.next()).as(sql).isTrue();
            for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                row.put(r.getMetaData().getColumnLabel(i), r.getObject(i));
            }
            return row;
        }
    }

    static List<String> column(String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    static final String AZURE_KEY = "hour|2026-11-02T10:00:00Z|acme-eu|claims|triage|prod|azure|swedencentral|azure.ai.openai|gpt-5.5|chat|USD";

    static UsageRollup azure(int revision, boolean isFinal, long inputTokens, String inputCost) {
        return rollup(AZURE_KEY, revision, isFinal, false, RollupGranularity.hour, "2026-11-02T10:00:00Z", Cloud.azure, "swedencentral", "gpt-5.5",
                "azure/data_zone:eu/gpt-5.5@2026-07-01", List.of(
                        meter("Input Tokens", inputTokens, inputCost, inputCost),
                        meter("Cached Input Tokens", 400_000, "0.055", "0.055"),
                        meter("Output Tokens", 30_000, "0.33", "0.33"),
                        meter("Reasoning Tokens", 12_000, "0.132", "0.132")));
    }

    static final Path BUNDLE = Path.of("..", "policies", "bundle").toAbsolutePath().normalize();

    /** Calls priced by the real engine with the shipped bundle, the way the enforcer writes them. */
    static List<dev.llmaudit.avro.PricedLlmCall> pricedCalls() throws Exception {
        var engine = new dev.llmaudit.policy.engine.PolicyEngine(dev.llmaudit.policy.load.BundleLoader.load(BUNDLE).bundle());
        String base = "\"tenant\":\"acme-eu\",\"team\":\"claims\",\"app\":\"triage\",\"environment\":\"prod\",\"operation\":\"chat\",\"status\":\"ok\"";
        List<String> lines = List.of(
                // Two deployment scopes of one model in one region: one rollup, two SKU prices.
                "{\"event_id\":\"p1\",\"event_time\":\"2026-11-04T09:05:00Z\"," + base + ",\"cloud\":\"azure\",\"region\":\"swedencentral\","
                        + "\"deployment_scope\":\"data_zone\",\"provider\":\"azure.ai.openai\",\"request_model\":\"gpt-5.5\","
                        + "\"input_tokens\":120000,\"cached_input_tokens\":20000,\"output_tokens\":3000,\"reasoning_tokens\":700}",
                "{\"event_id\":\"p2\",\"event_time\":\"2026-11-04T09:10:00Z\"," + base + ",\"cloud\":\"azure\",\"region\":\"swedencentral\","
                        + "\"deployment_scope\":\"global\",\"provider\":\"azure.ai.openai\",\"request_model\":\"gpt-5.5\","
                        + "\"input_tokens\":80000,\"output_tokens\":2000}",
                "{\"event_id\":\"p3\",\"event_time\":\"2026-11-04T09:20:00Z\"," + base + ",\"cloud\":\"azure\",\"region\":\"swedencentral\","
                        + "\"deployment_scope\":\"data_zone\",\"provider\":\"azure.ai.openai\",\"request_model\":\"gpt-5.5\","
                        + "\"input_tokens\":1234,\"output_tokens\":56}",
                // A model without a price: its tokens are consumed, never costed.
                "{\"event_id\":\"p4\",\"event_time\":\"2026-11-04T09:30:00Z\"," + base + ",\"cloud\":\"other\",\"provider\":\"vllm\","
                        + "\"request_model\":\"acme-private-llm-7b\",\"input_tokens\":5000,\"output_tokens\":700}",
                "{\"event_id\":\"p5\",\"event_time\":\"2026-11-04T09:40:00Z\"," + base + ",\"cloud\":\"openai\",\"provider\":\"openai\","
                        + "\"request_model\":\"gpt-5.5\",\"input_tokens\":333,\"cached_input_tokens\":100,\"output_tokens\":77}");
        List<dev.llmaudit.avro.PricedLlmCall> out = new ArrayList<>();
        for (String line : lines) {
            var parsed = dev.llmaudit.schemas.json.LlmCallEventJson.parse(line);
            assertThat(parsed.isValid()).as(line).isTrue();
            var e = engine.evaluate(dev.llmaudit.policy.avro.LlmCalls.from(parsed.event()));
            out.add(dev.llmaudit.jobs.PricedCalls.of(parsed.event(), e, "USD", List.of(), java.time.Instant.parse("2026-11-04T10:00:00Z")));
        }
        return out;
    }

    /** Their hourly rollups, built by the rollups job's own code (accumulator and record builder), final. */
    static List<UsageRollup> rollupsOf(List<dev.llmaudit.avro.PricedLlmCall> calls) {
        Map<String, dev.llmaudit.rollups.RollupAccumulator> windows = new TreeMap<>();
        Map<String, Long> starts = new TreeMap<>();
        for (var p : calls) {
            var sample = dev.llmaudit.rollups.UsageSamples.from(p, "USD");
            long start = sample.eventTimeMillis - Math.floorMod(sample.eventTimeMillis, 3_600_000L);
            String key = dev.llmaudit.rollups.Rollups.rollupKey(RollupGranularity.hour, start, sample.dimensionKey);
            windows.computeIfAbsent(key, k -> new dev.llmaudit.rollups.RollupAccumulator()).add(sample);
            starts.put(key, start);
        }
        List<UsageRollup> out = new ArrayList<>();
        windows.forEach((key, acc) -> out.add(dev.llmaudit.rollups.Rollups.build(key, RollupGranularity.hour, starts.get(key),
                starts.get(key) + 3_600_000, acc, 0, false, null, java.time.Instant.parse("2026-11-04T10:00:00Z"))));
        return out;
    }

    @Test
    void oneShotToS3WritesTheLatestRevisionsPlusCorrectionsAndDuckDbTotalsEqualTheTopic(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                                        @TempDir Path dir) throws Exception {
        String topic = cluster.uniqueTopic("llm.usage.rollups");
        cluster.createTopic(topic, 3, Map.of());
        List<dev.llmaudit.avro.PricedLlmCall> priced = pricedCalls();
        List<UsageRollup> records = new ArrayList<>(rollupsOf(priced));
        records.addAll(List.of(
                azure(0, false, 500_000, "0.6875"),                  // provisional
                azure(1, true, 1_000_000, "1.375"),                  // final
                azure(2, true, 1_100_000, "1.5125"),                 // a late call inside the allowed lateness
                rollup(AZURE_KEY + "#late:evt-9", 0, true, true, RollupGranularity.hour, "2026-11-02T10:00:00Z", Cloud.azure, "swedencentral",
                        "gpt-5.5", "azure/data_zone:eu/gpt-5.5@2026-07-01", List.of(meter("Output Tokens", 1_000, "0.011", "0.011"))),
                // Negotiated: the tenant pays 3 / 15, listed at 3.30 / 16.50.
                rollup("hour|2026-11-02T11:00:00Z|acme-eu|claims|triage|prod|aws|eu-central-1|aws.bedrock|eu.anthropic.claude-sonnet-4-5|chat|USD",
                        0, true, false, RollupGranularity.hour, "2026-11-02T11:00:00Z", Cloud.aws, "eu-central-1", "eu.anthropic.claude-sonnet-4-5",
                        "aws/data_zone:eu/anthropic.claude-sonnet-4-5@2026-10-01", List.of(
                                meter("Input Tokens", 2_000_000, "6.6", "6"),
                                meter("Output Tokens", 100_000, "1.65", "1.5"))),
                // Unpriced tokens beside priced ones, the next day.
                rollup("hour|2026-11-03T00:00:00Z|acme-eu|claims|triage|prod|openai|-|openai|gpt-5.5|chat|USD", 0, true, false,
                        RollupGranularity.hour, "2026-11-03T00:00:00Z", Cloud.openai, null, "gpt-5.5", "openai/global/gpt-5.5@2026-07-01", List.of(
                                meter("Input Tokens", 100_000, "0.125", "0.125"),
                                meter("Output Tokens", 10_000, "0.1", "0.1"),
                                unpriced("Input Tokens", 200_000),
                                unpriced("Output Tokens", 40_000))),
                // Another billing period.
                rollup("hour|2026-12-01T00:00:00Z|acme-eu|claims|triage|prod|openai|-|openai|gpt-5.5|chat|USD", 0, true, false,
                        RollupGranularity.hour, "2026-12-01T00:00:00Z", Cloud.openai, null, "gpt-5.5", "openai/global/gpt-5.5@2026-07-01", List.of(
                                meter("Input Tokens", 800_000, "1", "1"))),
                // Daily rows of the same calls: not in an hourly dataset.
                rollup("day|2026-11-02T00:00:00Z|acme-eu|claims|triage|prod|azure|swedencentral|azure.ai.openai|gpt-5.5|chat|USD", 0, true, false,
                        RollupGranularity.day, "2026-11-02T00:00:00Z", Cloud.azure, "swedencentral", "gpt-5.5",
                        "azure/data_zone:eu/gpt-5.5@2026-07-01", List.of(meter("Input Tokens", 1_100_000, "1.5125", "1.5125"))),
                // A cloud without a billing account: withheld and reported.
                rollup("hour|2026-11-02T12:00:00Z|acme-eu|claims|triage|prod|gcp|europe-west1|gcp.vertex_ai|gemini-2.5-pro|chat|USD", 0, true, false,
                        RollupGranularity.hour, "2026-11-02T12:00:00Z", Cloud.gcp, "europe-west1", "gemini-2.5-pro",
                        "gcp/regional/gemini-2.5-pro@2026-07-01", List.of(meter("Input Tokens", 100_000, "0.1375", "0.1375"))),
                azure(1, true, 1_000_000, "1.375")));                // a revision going back (a rollups job restarted without state)
        produce(cluster, registry, topic, records, "not avro".getBytes(StandardCharsets.UTF_8));

        Run run = export(cluster, registry, "--topic", topic, "--to", "s3://focus/exports/finance", "--s3-endpoint", "http://127.0.0.1:" + s3Port,
                "--billing-account", "azure=8611537,Contoso EA", "--billing-account", "aws=123456789012,Contoso payer",
                "--billing-account", "openai=org-4Fz2", "--billing-account", "other=acme-infra");
        assertThat(run.exit()).as(run.err()).isEqualTo(3); // rows were withheld
        assertThat(run.err()).contains("withheld {gcp=1} row(s)").contains("1 record(s) could not be decoded").contains("1 rollup(s) went back");

        // Download what the bucket holds, as a finance tool would, and read it with DuckDB.
        Path local = dir.resolve("bucket");
        List<String> keys = new ArrayList<>();
        try (S3Client s3 = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1).forcePathStyle(true)
                .endpointOverride(URI.create("http://127.0.0.1:" + s3Port))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build()) {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket("focus").prefix("exports/")).contents()) {
                keys.add(o.key());
                Path to = local.resolve(o.key());
                Files.createDirectories(to.getParent());
                s3.getObject(b -> b.bucket("focus").key(o.key()), to);
            }
        }
        assertThat(keys).containsExactlyInAnyOrder(
                "exports/finance/llm-audit-focus/data/BILLING_PERIOD=2026-11/llm-audit-focus-2026-11-02.snappy.parquet",
                "exports/finance/llm-audit-focus/data/BILLING_PERIOD=2026-11/llm-audit-focus-2026-11-03.snappy.parquet",
                "exports/finance/llm-audit-focus/data/BILLING_PERIOD=2026-11/llm-audit-focus-2026-11-04.snappy.parquet",
                "exports/finance/llm-audit-focus/data/BILLING_PERIOD=2026-12/llm-audit-focus-2026-12-01.snappy.parquet",
                "exports/finance/llm-audit-focus/metadata/BILLING_PERIOD=2026-11/llm-audit-focus-Manifest.json",
                "exports/finance/llm-audit-focus/metadata/BILLING_PERIOD=2026-12/llm-audit-focus-Manifest.json");

        Map<String, UsageRollup> expected = latest(records, RollupGranularity.hour);
        expected.values().removeIf(r -> r.getXCloud() == Cloud.gcp);
        String files = "read_parquet('" + local.resolve("exports/finance/llm-audit-focus/data") + "/*/*.parquet', hive_partitioning = true, hive_types_autocast = false)";
        Map<String, Object> totals = query("SELECT sum(BilledCost) AS billed, sum(ListCost) AS list, sum(ContractedCost) AS contracted,"
                + " sum(EffectiveCost) AS effective, sum(ConsumedQuantity) AS consumed, count(*) AS n FROM " + files);
        assertThat((BigDecimal) totals.get("list")).isEqualByComparingTo(sum(expected.values(), r -> r.getListCost().getAmount()));
        assertThat((BigDecimal) totals.get("contracted")).isEqualByComparingTo(sum(expected.values(), r -> r.getContractedCost().getAmount()));
        assertThat((BigDecimal) totals.get("billed")).isEqualByComparingTo((BigDecimal) totals.get("contracted"));
        assertThat((BigDecimal) totals.get("effective")).isEqualByComparingTo((BigDecimal) totals.get("contracted"));
        assertThat((BigDecimal) totals.get("consumed"))
                .isEqualByComparingTo(BigDecimal.valueOf(expected.values().stream().mapToLong(UsageRollup::getConsumedQuantity).sum()));
        // The hand-written rollups' part, with the numbers written out: last records (azure at revision 1), the correction,
        // the negotiated AWS window, OpenAI's priced part, December.
        assertThat((BigDecimal) query("SELECT sum(ListCost) AS list FROM " + files + " WHERE ChargePeriodStart < TIMESTAMP '2026-11-04'"
                + " OR ChargePeriodStart >= TIMESTAMP '2026-11-05'").get("list")).isEqualByComparingTo("11.378");
        // The part the real engine priced and the rollups code built equals the priced calls themselves, exactly.
        BigDecimal pricedList = BigDecimal.ZERO;
        BigDecimal pricedContracted = BigDecimal.ZERO;
        long unpricedTokens = 0;
        for (var p : priced) {
            if (p.getPricingStatus() == dev.llmaudit.avro.PricingStatus.priced) {
                pricedList = pricedList.add((p.getListCost() != null ? p.getListCost() : p.getCost()).getAmount());
                pricedContracted = pricedContracted.add(p.getCost().getAmount());
            } else {
                unpricedTokens += p.getEvent().getInputTokens() + p.getEvent().getOutputTokens();
            }
        }
        assertThat(unpricedTokens).as("the in-house model is unpriced").isEqualTo(5_700);
        Map<String, Object> day4 = query("SELECT sum(ListCost) AS list, sum(ContractedCost) AS contracted,"
                + " sum(ConsumedQuantity) FILTER (WHERE x_PricingStatus = 'unpriced') AS unpriced,"
                + " count(DISTINCT SkuPriceId) FILTER (WHERE x_Cloud = 'azure' AND SkuMeter = 'Input Tokens') AS azureInputPrices FROM " + files
                + " WHERE ChargePeriodStart >= TIMESTAMP '2026-11-04' AND ChargePeriodStart < TIMESTAMP '2026-11-05'");
        assertThat((BigDecimal) day4.get("list")).isEqualByComparingTo(pricedList).isPositive();
        assertThat((BigDecimal) day4.get("contracted")).isEqualByComparingTo(pricedContracted);
        assertThat((BigDecimal) day4.get("unpriced")).isEqualByComparingTo(BigDecimal.valueOf(unpricedTokens));
        assertThat(((Number) day4.get("azureInputPrices")).longValue()).as("data zone and global in one rollup: two SKU prices").isEqualTo(2);
        assertThat(query("SELECT typeof(ListCost) AS t FROM " + files + " LIMIT 1").get("t")).isEqualTo("DECIMAL(38,12)");

        // FOCUS rules a validator checks: ListCost = ListUnitPrice x PricingQuantity on every priced row, mandatory columns
        // never null there, and unpriced rows carry no cost at all (never $0).
        assertThat(((Number) query("SELECT count(*) AS bad FROM " + files + " WHERE x_PricingStatus = 'priced' AND (ListUnitPrice IS NULL"
                + " OR ListCost <> ListUnitPrice * PricingQuantity OR ContractedCost <> ContractedUnitPrice * PricingQuantity OR SkuPriceId IS NULL)")
                .get("bad")).longValue()).isZero();
        for (String c : List.of("BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd", "ChargeCategory",
                "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
                "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId")) {
            assertThat(((Number) query("SELECT count(*) AS nulls FROM " + files + " WHERE x_PricingStatus = 'priced' AND " + c + " IS NULL")
                    .get("nulls")).longValue()).as(c + " is never null on a priced row").isZero();
        }
        assertThat(((Number) query("SELECT count(*) AS n FROM " + files + " WHERE x_PricingStatus = 'unpriced' AND (ListCost IS NOT NULL"
                + " OR BilledCost IS NOT NULL OR SkuPriceId IS NOT NULL OR BillingAccountId IS NULL)").get("n")).longValue()).isZero();
        assertThat(column("SELECT DISTINCT BILLING_PERIOD || ' ' || strftime(BillingPeriodStart, '%Y-%m-%d') || ' ' || strftime(BillingPeriodEnd,"
                + " '%Y-%m-%d') FROM " + files + " ORDER BY 1")).containsExactly("2026-11 2026-11-01 2026-12-01", "2026-12 2026-12-01 2027-01-01");
        assertThat(column("SELECT DISTINCT ProviderName || '/' || PublisherName || '/' || BillingAccountId FROM " + files + " ORDER BY 1"))
                .containsExactly("AWS/Anthropic/123456789012", "Microsoft/OpenAI/8611537", "OpenAI/OpenAI/org-4Fz2", "vllm/vllm/acme-infra");
        // The Azure window is at its last record (revision 1) with the correction beside it; the negotiated row keeps both prices.
        assertThat(column("SELECT DISTINCT x_Revision || ' ' || x_IsCorrection FROM " + files + " WHERE x_Cloud = 'azure'"
                + " AND ChargePeriodStart = TIMESTAMP '2026-11-02 10:00:00' ORDER BY 1")).containsExactly("0 true", "1 false");
        assertThat(column("SELECT ListUnitPrice || ' ' || ContractedUnitPrice FROM " + files + " WHERE x_Cloud = 'aws' AND SkuMeter = 'Output Tokens'"))
                .containsExactly("16.500000000000 15.000000000000");
        assertThat(column("SELECT ConsumedQuantity FROM " + files + " WHERE x_Cloud = 'openai' AND x_PricingStatus = 'unpriced'"
                + " AND ChargePeriodStart = TIMESTAMP '2026-11-03 00:00:00' ORDER BY 1")).containsExactly("40000.000000000000", "200000.000000000000");

        JsonNode manifest = new ObjectMapper().readTree(local.resolve(
                "exports/finance/llm-audit-focus/metadata/BILLING_PERIOD=2026-11/llm-audit-focus-Manifest.json").toFile());
        assertThat(manifest.path("focusVersion").asText()).isEqualTo("1.2");
        assertThat(manifest.path("billingPeriod").path("start").asText()).isEqualTo("2026-11-01T00:00:00Z");
        assertThat(manifest.path("dataFiles")).hasSize(3);
        assertThat(manifest.path("columns").get(0).path("name").asText()).isEqualTo("BilledCost");
        assertThat(new BigDecimal(manifest.path("totals").path("USD").path("ListCost").asText()))
                .isEqualByComparingTo(new BigDecimal("10.378").add(pricedList));
        assertThat(manifest.path("totals").path("USD").path("unpricedTokens").asLong()).isEqualTo(240_000 + unpricedTokens);
        assertThat(manifest.path("withheldRows").path("gcp").path("USD").path("rows").asLong()).isEqualTo(1);
        assertThat(new BigDecimal(manifest.path("withheldRows").path("gcp").path("USD").path("ListCost").asText())).isEqualByComparingTo("0.1375");
        assertThat(manifest.path("run").path("undecodableRecords").asLong()).isEqualTo(1);
        assertThat(manifest.path("run").path("revisionsGoingBack").asLong()).isEqualTo(1);
    }

    @Test
    void followingToADirectoryRewritesTheDayWhenARevisionOrCorrectionChangesIt(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                                @TempDir Path dir) throws Exception {
        String topic = cluster.uniqueTopic("llm.usage.rollups");
        cluster.createTopic(topic, 1, Map.of());
        produce(cluster, registry, topic, List.of(azure(0, false, 500_000, "0.6875")));
        Path out = dir.resolve("focus");
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new LlmAuditCommand()).setErr(new PrintWriter(err, true));
        Thread follower = new Thread(() -> cmd.execute("export", "focus", "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry-url", registry.url(), "--topic", topic, "--to", out.toUri().toString(), "--format", "csv", "--follow",
                "--interval", "PT1S", "--billing-account", "azure=8611537"));
        follower.setDaemon(true);
        follower.start();
        try {
            Path day = out.resolve("llm-audit-focus/data/BILLING_PERIOD=2026-11/llm-audit-focus-2026-11-02.csv.gz");
            String csv = "read_csv('" + day + "', header = true, types = {'ListCost': 'DECIMAL(38,12)', 'BilledCost': 'DECIMAL(38,12)',"
                    + " 'x_IsFinal': 'BOOLEAN'})";
            awaitTotal(csv, err, new BigDecimal("1.2045"));
            assertThat(column("SELECT DISTINCT x_IsFinal FROM " + csv)).containsExactly("false");

            // The window closes (final revision), then a too-late call arrives (a correction): the same day's file is rewritten.
            produce(cluster, registry, topic, List.of(azure(1, true, 1_000_000, "1.375"),
                    rollup(AZURE_KEY + "#late:evt-9", 0, true, true, RollupGranularity.hour, "2026-11-02T10:00:00Z", Cloud.azure, "swedencentral",
                            "gpt-5.5", "azure/data_zone:eu/gpt-5.5@2026-07-01", List.of(meter("Output Tokens", 1_000, "0.011", "0.011")))));
            awaitTotal(csv, err, new BigDecimal("1.903"));
            assertThat(column("SELECT DISTINCT x_IsFinal FROM " + csv)).containsExactly("true");
            assertThat(new ObjectMapper().readTree(out.resolve("llm-audit-focus/metadata/BILLING_PERIOD=2026-11/llm-audit-focus-Manifest.json")
                    .toFile()).path("format").asText()).isEqualTo("CSV");
        } finally {
            follower.interrupt();
        }
        follower.join(30_000);
        assertThat(follower.isAlive()).as("an interrupted follower writes what it read and ends").isFalse();
        assertThat(err.toString()).doesNotContain("Exception");
    }

    /** Waits until the file's ListCost total is the expected one (the follower rewrites it every second when it changed). */
    static void awaitTotal(String csv, StringWriter err, BigDecimal expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        BigDecimal seen = null;
        while (System.nanoTime() < deadline) {
            try {
                seen = (BigDecimal) query("SELECT sum(ListCost) AS list FROM " + csv).get("list");
                if (seen != null && seen.compareTo(expected) == 0) {
                    return;
                }
            } catch (java.sql.SQLException notYet) {
                // no file yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the file's ListCost total stayed " + seen + ", expected " + expected + "; the command said: " + err);
    }
}
