package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.policy.avro.LlmCalls;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llm-audit local --events-file F --out D --exit-when-idle} from the shipped jar: everything in
 * one process, and the output files agree with what the policy engine computes offline.
 */
class LocalCommandIT {
    static final Path BUNDLE = Path.of("..", "policies", "bundle").toAbsolutePath().normalize();
    static final ObjectMapper JSON = new ObjectMapper();

    static String call(String id, String time, String extra) {
        return "{\"event_id\":\"" + id + "\",\"event_time\":\"" + time + "\",\"tenant\":\"acme-eu\",\"team\":\"claims\",\"environment\":\"prod\","
                + "\"tags\":{\"cost_center\":\"cc-1\"},\"input_tokens\":1000" + (extra.contains("output_tokens") ? "" : ",\"output_tokens\":200") + extra + "}";
    }

    @Test
    void replaysAFileAndWritesWhatReachedEachTopic(@TempDir Path dir) throws Exception {
        List<String> lines = List.of(
                call("eu-ok", "2026-11-02T10:05:00Z", ",\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\",\"data_classification\":\"pii\""),
                call("eu-breach", "2026-11-02T10:10:00Z", ",\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"request_model\":\"global.anthropic.claude-sonnet-4-5-20250929-v1:0\",\"data_classification\":\"pii\""),
                call("big-1", "2026-11-02T11:00:00Z", ",\"cloud\":\"azure\",\"region\":\"swedencentral\",\"deployment_scope\":\"data_zone\",\"request_model\":\"gpt-5.5\",\"output_tokens\":40000000"),
                "{\"event_id\":\"broken\",\"event_time\":\"not a time\"}",
                call("big-2", "2026-11-03T09:00:00Z", ",\"cloud\":\"azure\",\"region\":\"swedencentral\",\"deployment_scope\":\"data_zone\",\"request_model\":\"gpt-5.5\",\"output_tokens\":40000000"),
                call("unpriced", "2026-11-02T10:20:00Z", ",\"cloud\":\"other\",\"request_model\":\"acme-private-llm-7b\""),
                call("eu-ok", "2026-11-02T10:05:00Z", ",\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\",\"data_classification\":\"pii\""),
                call("openai", "2026-11-02T12:30:00Z", ",\"cloud\":\"openai\",\"request_model\":\"gpt-5.5\""));
        Path events = dir.resolve("events.jsonl");
        Files.write(events, lines);
        Path out = dir.resolve("out");

        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Xmx1500m", "-jar", System.getProperty("llmaudit.jar"), "local", "--events-file", events.toString(),
                "--out", out.toString(), "--exit-when-idle", "--work-dir", dir.resolve("work").toString(), "--kafka-port", "0",
                "--registry-port", "0", "--port", "0", "--console-port", "0", "--bundle", BUNDLE.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("local.log").toFile()).start();
        boolean ended;
        try {
            ended = p.waitFor(240, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        String log = Files.readString(dir.resolve("local.log"));
        assertThat(ended).as(log).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(log).contains(events + ":4: ").contains("(line skipped)");
        assertThat(log).as("the banner names the console").containsPattern("web console: +http://127\\.0\\.0\\.1:\\d+/");

        // What the engine finds offline for the 6 distinct valid events (the copy of eu-ok is deduplicated).
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(BUNDLE).bundle());
        Set<String> ids = new HashSet<>();
        Set<String> expectedFindings = new HashSet<>();
        BigDecimal expectedCost = BigDecimal.ZERO;
        BigDecimal expectedAzure = BigDecimal.ZERO;
        for (String line : lines) {
            var parsed = LlmCallEventJson.parse(line);
            if (!parsed.isValid() || !ids.add(parsed.event().getEventId())) {
                continue;
            }
            var e = engine.evaluate(LlmCalls.from(parsed.event()));
            e.findings().stream().filter(f -> !f.advice()).map(Finding::id).forEach(expectedFindings::add);
            if (e.pricing().total() != null) {
                expectedCost = expectedCost.add(e.pricing().total());
                if (parsed.event().getCloud() == dev.llmaudit.avro.Cloud.azure) {
                    expectedAzure = expectedAzure.add(e.pricing().total());
                }
            }
        }

        List<JsonNode> violations = read(out.resolve("violations.jsonl"));
        Set<String> perCall = new HashSet<>();
        violations.stream().filter(v -> !v.get("policy_id").asText().equals("team-monthly-by-cloud"))
                .forEach(v -> assertThat(perCall.add(v.get("violation_id").asText())).as("no violation twice").isTrue());
        assertThat(perCall).isEqualTo(expectedFindings);
        assertThat(violations).anySatisfy(v -> {
            assertThat(v.get("policy_id").asText()).isEqualTo("eu-pii-residency");
            assertThat(v.get("event_id").asText()).isEqualTo("eu-breach");
        });
        // 40M output tokens at 33 USD/M on the EU data zone: about 1320 USD, then 2640 USD of 2000: 50 %, then 80 % and 100 %.
        assertThat(violations).filteredOn(v -> v.get("policy_id").asText().equals("team-monthly-by-cloud"))
                .extracting(v -> v.get("details").get("threshold_percent").asText()).containsExactlyInAnyOrder("50", "80", "100");

        List<JsonNode> rollups = read(out.resolve("rollups.jsonl"));
        for (String g : List.of("hour", "day")) {
            var of = rollups.stream().filter(r -> r.get("x_Granularity").asText().equals(g)).toList();
            assertThat(of.stream().mapToLong(r -> r.get("x_RequestCount").asLong()).sum()).as(g + " requests").isEqualTo(6);
            assertThat(of.stream().map(r -> new BigDecimal(r.get("ListCost").get("amount").asText())).reduce(BigDecimal.ZERO, BigDecimal::add))
                    .as(g + " cost").isEqualByComparingTo(expectedCost);
            assertThat(of.stream().mapToLong(r -> r.get("x_UnpricedCount").asLong()).sum()).isEqualTo(1);
        }

        List<JsonNode> budgets = read(out.resolve("budgets.jsonl"));
        BigDecimal azure = expectedAzure;
        assertThat(budgets).filteredOn(b -> b.get("scope").get("cloud").asText().equals("azure")).singleElement().satisfies(b -> {
            assertThat(b.get("budget_id").asText()).isEqualTo("team-monthly-by-cloud");
            assertThat(new BigDecimal(b.get("spent").get("amount").asText())).isEqualByComparingTo(azure);
            assertThat(b.get("last_threshold_crossed").asInt()).isEqualTo(100);
        });
        assertThat(read(out.resolve("dlq.jsonl"))).isEmpty();
    }

    static Process local(Path dir, String log, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx1500m", "-jar", System.getProperty("llmaudit.jar"), "local",
                "--kafka-port", "0", "--registry-port", "0", "--port", "0", "--console-port", "0", "--bundle", BUNDLE.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
    }

    static void finished(Process p, Path logFile) throws Exception {
        boolean ended;
        try {
            ended = p.waitFor(240, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        String log = Files.readString(logFile);
        assertThat(ended).as(log).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
    }

    static long requests(List<JsonNode> rollups, String granularity) {
        return rollups.stream().filter(r -> r.get("x_Granularity").asText().equals(granularity)).mapToLong(r -> r.get("x_RequestCount").asLong()).sum();
    }

    static BigDecimal listCost(List<JsonNode> rollups, String granularity) {
        return rollups.stream().filter(r -> r.get("x_Granularity").asText().equals(granularity))
                .map(r -> new BigDecimal(r.get("ListCost").get("amount").asText())).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    @Test
    void theSimulatorRunsAndASecondRunOnTheSameWorkDirContinues(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        finished(local(dir, "run1.log", "--events", "200", "--rate", "1000", "--seed", "42", "--exit-when-idle", "--work-dir", work.toString(),
                "--out", dir.resolve("out1").toString()), dir.resolve("run1.log"));
        List<JsonNode> rollups1 = read(dir.resolve("out1/rollups.jsonl"));
        assertThat(requests(rollups1, "hour")).isEqualTo(200);
        assertThat(requests(rollups1, "day")).isEqualTo(200);
        assertThat(listCost(rollups1, "hour")).isPositive().isEqualByComparingTo(listCost(rollups1, "day"));
        // The simulator also writes 2 records that are not Avro, as a buggy producer would: each is a dead letter with its reason.
        List<JsonNode> dlq1 = read(dir.resolve("out1/dlq.jsonl"));
        assertThat(dlq1).hasSize(2).allSatisfy(d -> {
            assertThat(d.get("stage").asText()).isEqualTo("deserialize");
            assertThat(d.get("error_class").asText()).isEqualTo("WireFormatException");
            assertThat(d.get("error_message").asText()).startsWith("unknown magic byte 0x7b: not Confluent Avro wire format");
            assertThat(d.get("source_topic").asText()).isEqualTo("llm.events");
            assertThat(new String(java.util.Base64.getDecoder().decode(d.get("original_value").asText()), java.nio.charset.StandardCharsets.UTF_8))
                    .startsWith("{\"not\":\"avro\"");
        });
        List<JsonNode> violations1 = read(dir.resolve("out1/violations.jsonl"));
        assertThat(violations1).extracting(v -> v.get("policy_id").asText())
                .contains("eu-pii-residency", "aws-model-allowlist", "prod-needs-cost-center", "per-call-cost-cap");

        // Again on the same work dir: the broker's data survived, the new calls add to it.
        finished(local(dir, "run2.log", "--events", "100", "--rate", "1000", "--seed", "7", "--exit-when-idle", "--work-dir", work.toString(),
                "--out", dir.resolve("out2").toString()), dir.resolve("run2.log"));
        List<JsonNode> rollups2 = read(dir.resolve("out2/rollups.jsonl"));
        assertThat(requests(rollups2, "hour")).isEqualTo(300);
        assertThat(requests(rollups2, "day")).isEqualTo(300);
        assertThat(listCost(rollups2, "day")).isGreaterThan(listCost(rollups1, "day"));
        assertThat(read(dir.resolve("out2/dlq.jsonl"))).hasSize(4);
        Set<String> ids2 = new HashSet<>();
        read(dir.resolve("out2/violations.jsonl")).forEach(v -> ids2.add(v.get("violation_id").asText()));
        assertThat(ids2).containsAll(violations1.stream().map(v -> v.get("violation_id").asText()).toList()).hasSizeGreaterThan(violations1.size());
        java.util.Map<String, BigDecimal> spent1 = new java.util.HashMap<>();
        read(dir.resolve("out1/budgets.jsonl")).forEach(b -> spent1.put(b.get("budget_id").asText() + b.get("scope"),
                new BigDecimal(b.get("spent").get("amount").asText())));
        read(dir.resolve("out2/budgets.jsonl")).forEach(b -> {
            BigDecimal before = spent1.get(b.get("budget_id").asText() + b.get("scope"));
            if (before != null) {
                assertThat(new BigDecimal(b.get("spent").get("amount").asText())).as("budgets continue, never restart from 0")
                        .isGreaterThanOrEqualTo(before);
            }
        });
    }

    static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }
}
