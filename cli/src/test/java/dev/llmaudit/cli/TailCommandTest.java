package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.BudgetPeriod;
import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.PolicyKind;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.Severity;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code llm-audit tail} against a real broker and registry: table, JSON lines, filters. */
@ExtendWith(KafkaClusterExtension.class)
class TailCommandTest {
    static PolicyViolation violation(String id, String policy, Severity severity, String tenant, String team) {
        return PolicyViolation.newBuilder().setViolationId(id).setPolicyId(policy).setPolicyKind(PolicyKind.residency).setSeverity(severity)
                .setMessage("what happened to " + id).setEventId("e-" + id).setDetectedAt(Instant.parse("2026-11-02T10:00:00Z"))
                .setTenant(tenant).setTeam(team).setBundleVersion("2026.11.1").setCatalogVersion("c1").setDetails(Map.of()).build();
    }

    static void send(KafkaCluster cluster, SchemaRegistryClient client, String topic, String key, SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> p = new KafkaProducer<>(cluster.clientProperties(), new StringSerializer(),
                new ConfluentAvroSerializer<>(client, true))) {
            p.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    @Test
    void showsViolationsAsATableOrJsonFilteredByTenantAndSeverity(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String topic = cluster.uniqueTopic("tail-violations");
        cluster.createTopic(topic, 1, Map.of());
        send(cluster, client, topic, "v1", violation("v1", "eu-pii-residency", Severity.high, "acme-eu", "claims"));
        send(cluster, client, topic, "v2", violation("v2", "prod-needs-cost-center", Severity.low, "acme-eu", "claims"));
        send(cluster, client, topic, "v3", violation("v3", "eu-pii-residency", Severity.critical, "globex", "risk"));
        String[] base = {"tail", "violations", "--topic", topic, "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry-url", registry.url(), "--no-follow"};

        LlmAuditCommandTest.Run table = LlmAuditCommandTest.run(base);
        assertThat(table.exit()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).startsWith("DETECTED").contains("SEVERITY", "POLICY", "MESSAGE");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(1)).contains("high", "eu-pii-residency", "acme-eu/claims", "e-v1", "what happened to v1");

        LlmAuditCommandTest.Run filtered = LlmAuditCommandTest.run(concat(base, "--json", "--tenant", "acme-eu", "--severity", "medium"));
        List<JsonNode> json = filtered.out().lines().map(TailCommandTest::parse).toList();
        assertThat(json).extracting(j -> j.get("violation_id").asText()).containsExactly("v1");
        assertThat(json.get(0).get("detected_at").asText()).isEqualTo("2026-11-02T10:00:00Z");
    }

    @Test
    void showsBudgetsWithSpentLimitAndShareUsed(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String topic = cluster.uniqueTopic("tail-budgets");
        cluster.createTopic(topic, 1, Map.of());
        BudgetStatus b = BudgetStatus.newBuilder().setBudgetId("team-monthly-by-cloud").setScope(Map.of("tenant", "acme", "team", "growth", "cloud", "azure"))
                .setPeriod(BudgetPeriod.month).setPeriodStart(Instant.parse("2026-11-01T00:00:00Z")).setPeriodEnd(Instant.parse("2026-12-01T00:00:00Z"))
                .setTimeZone("UTC").setSpent(LlmCallEventJson.money(new BigDecimal("1640.5"), "USD"))
                .setLimit(LlmCallEventJson.money(new BigDecimal("2000"), "USD")).setLastThresholdCrossed(80).setUnpricedCalls(0)
                .setUpdatedAt(Instant.parse("2026-11-20T08:00:00Z")).setBundleVersion("2026.11.1").build();
        send(cluster, client, topic, "k", b);

        LlmAuditCommandTest.Run r = LlmAuditCommandTest.run("tail", "budgets", "--topic", topic, "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry-url", registry.url(), "--no-follow", "--cloud", "azure");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().toList().get(1)).contains("team-monthly-by-cloud", "cloud=azure team=growth tenant=acme", "1640.50 USD",
                "2000.00 USD", "82%", "80%");

        LlmAuditCommandTest.Run none = LlmAuditCommandTest.run("tail", "budgets", "--topic", topic, "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry-url", registry.url(), "--no-follow", "--cloud", "aws");
        assertThat(none.out().lines().count()).as("only the header").isEqualTo(1);
    }

    @Test
    void explainsAMissingTopicAndABadSince(KafkaCluster cluster, EmbeddedSchemaRegistry registry) {
        LlmAuditCommandTest.Run missing = LlmAuditCommandTest.run("tail", "dlq", "--topic", "no-such-topic-" + System.nanoTime(),
                "--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry-url", registry.url(), "--no-follow");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("does not exist").contains("--topic");
        LlmAuditCommandTest.Run since = LlmAuditCommandTest.run("tail", "dlq", "--since", "yesterday", "--no-follow");
        assertThat(since.exit()).isEqualTo(2);
        assertThat(since.err()).contains("ISO-8601");
    }

    static PolicyViolation violationAt(String id, String policy, String team, String detectedAt) {
        PolicyViolation v = violation(id, policy, Severity.medium, "acme", team);
        v.setDetectedAt(Instant.parse(detectedAt));
        return v;
    }

    @Test
    void filtersViolationsByTeamPolicyAndSince(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String topic = cluster.uniqueTopic("tail-filters");
        cluster.createTopic(topic, 1, Map.of());
        send(cluster, client, topic, "f1", violationAt("f1", "per-call-cost-cap", "claims", "2026-11-02T09:00:00Z"));
        send(cluster, client, topic, "f2", violationAt("f2", "aws-model-allowlist", "claims", "2026-11-02T10:00:00Z"));
        send(cluster, client, topic, "f3", violationAt("f3", "per-call-cost-cap", "search", "2026-11-02T11:00:00Z"));
        send(cluster, client, topic, "f4", violationAt("f4", "per-call-cost-cap", "claims", Instant.now().minusSeconds(600).toString()));
        String[] base = {"tail", "violations", "--topic", topic, "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry-url", registry.url(), "--no-follow", "--json"};
        java.util.function.Function<String[], List<String>> ids = extra -> {
            LlmAuditCommandTest.Run r = LlmAuditCommandTest.run(concat(base, extra));
            assertThat(r.exit()).as(r.err()).isZero();
            return r.out().lines().map(l -> parse(l).get("violation_id").asText()).toList();
        };
        assertThat(ids.apply(new String[] {"--team", "claims"})).containsExactly("f1", "f2", "f4");
        assertThat(ids.apply(new String[] {"--policy", "per-call-cost-cap"})).containsExactly("f1", "f3", "f4");
        assertThat(ids.apply(new String[] {"--team", "claims", "--policy", "per-call-cost-cap"})).containsExactly("f1", "f4");
        assertThat(ids.apply(new String[] {"--since", "2026-11-02T10:00:00Z"})).containsExactly("f2", "f3", "f4");
        assertThat(ids.apply(new String[] {"--since", "PT1H"})).as("a duration back from now").containsExactly("f4");
    }

    @Test
    void followModePrintsRecordsAsTheyArriveUntilInterrupted(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String topic = cluster.uniqueTopic("tail-follow");
        cluster.createTopic(topic, 1, Map.of());
        send(cluster, client, topic, "old", violation("old", "eu-pii-residency", Severity.high, "acme-eu", "claims"));
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cmd = LlmAuditCommand.commandLine();
        cmd.setOut(new java.io.PrintWriter(out, true));
        cmd.setErr(new java.io.PrintWriter(new java.io.StringWriter(), true));
        java.util.concurrent.atomic.AtomicInteger exit = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread tail = new Thread(() -> exit.set(cmd.execute("tail", "violations", "--topic", topic, "--bootstrap-servers",
                cluster.bootstrapServers(), "--schema-registry-url", registry.url(), "--json")));
        tail.start();
        try {
            awaitOutput(out, "\"violation_id\":\"old\"");
            send(cluster, client, topic, "new", violation("new", "eu-pii-residency", Severity.high, "acme-eu", "claims"));
            awaitOutput(out, "\"violation_id\":\"new\"");
            assertThat(tail.isAlive()).as("follows until stopped").isTrue();
        } finally {
            tail.interrupt();
            tail.join(30_000);
        }
        assertThat(tail.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
        assertThat(out.toString().lines().map(l -> parse(l).get("violation_id").asText()).toList()).containsExactly("old", "new");
    }

    static void awaitOutput(java.io.StringWriter out, String text) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (!out.toString().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + text + " in: " + out);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void showsRollupsAndDeadLettersWithTheirContent(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String rollups = cluster.uniqueTopic("tail-rollups");
        cluster.createTopic(rollups, 1, Map.of());
        dev.llmaudit.avro.UsageRollup r = dev.llmaudit.avro.UsageRollup.newBuilder().setXRollupKey("k1")
                .setXGranularity(dev.llmaudit.avro.RollupGranularity.day).setXRevision(2)
                .setChargePeriodStart(Instant.parse("2026-11-02T00:00:00Z")).setChargePeriodEnd(Instant.parse("2026-11-03T00:00:00Z"))
                .setXTenant("acme").setXTeam("growth").setXApp("search").setXCloud(dev.llmaudit.avro.Cloud.azure).setRegionId("swedencentral")
                .setXModel("gpt-5.5").setXRequestCount(1234).setConsumedQuantity(5_600_000L).setBillingCurrency("USD")
                .setListCost(LlmCallEventJson.money(new BigDecimal("61.6"), "USD"))
                .setXPotentialSaving(LlmCallEventJson.money(new BigDecimal("-5.6"), "USD")).setXUpdatedAt(Instant.parse("2026-11-03T00:05:00Z"))
                .build();
        send(cluster, client, rollups, "k1", r);
        dev.llmaudit.avro.UsageRollup open = dev.llmaudit.avro.UsageRollup.newBuilder(r).setXRollupKey("k2").setXRevision(0).setXIsFinal(false)
                .setChargePeriodStart(Instant.parse("2026-11-03T00:00:00Z")).setChargePeriodEnd(Instant.parse("2026-11-04T00:00:00Z")).build();
        send(cluster, client, rollups, "k2", open);
        LlmAuditCommandTest.Run table = LlmAuditCommandTest.run("tail", "rollups", "--topic", rollups, "--bootstrap-servers",
                cluster.bootstrapServers(), "--schema-registry-url", registry.url(), "--no-follow", "--tenant", "acme");
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out().lines().toList()).hasSize(3);
        assertThat(table.out().lines().toList().get(1)).contains("2026-11-02T00:00", "day", "2", "acme/growth/search", "azure/swedencentral",
                "gpt-5.5", "1,234", "5,600,000", "61.60 USD", "-5.60 USD").doesNotContain("provisional");
        assertThat(table.out().lines().toList().get(2)).contains("2026-11-03T00:00").endsWith("(provisional: the window is open)");
        LlmAuditCommandTest.Run json = LlmAuditCommandTest.run("tail", "rollups", "--topic", rollups, "--bootstrap-servers",
                cluster.bootstrapServers(), "--schema-registry-url", registry.url(), "--no-follow", "--json");
        JsonNode j = parse(json.out().strip().lines().findFirst().orElseThrow());
        assertThat(j.get("ListCost").get("amount").asText()).isEqualTo("61.600000000000");
        assertThat(j.get("x_Revision").asInt()).isEqualTo(2);

        String dlq = cluster.uniqueTopic("tail-dlq");
        cluster.createTopic(dlq, 1, Map.of());
        send(cluster, client, dlq, "d1", dev.llmaudit.avro.DeadLetter.newBuilder().setStage("validate").setErrorClass("OutOfBounds")
                .setErrorMessage("input_tokens: must be between 0 and 1000000000, got 4503599627370496").setSourceTopic("llm.events")
                .setSourcePartition(2).setSourceOffset(17L).setFailedAt(Instant.parse("2026-11-02T10:00:00Z")).build());
        LlmAuditCommandTest.Run dead = LlmAuditCommandTest.run("tail", "dlq", "--topic", dlq, "--bootstrap-servers",
                cluster.bootstrapServers(), "--schema-registry-url", registry.url(), "--no-follow");
        assertThat(dead.exit()).as(dead.err()).isZero();
        assertThat(dead.out().lines().toList().get(1)).contains("2026-11-02T10:00:00Z", "validate", "llm.events-2@17",
                "input_tokens: must be between 0 and 1000000000, got 4503599627370496");
    }

    static JsonNode parse(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (Exception e) {
            throw new IllegalStateException(line, e);
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
