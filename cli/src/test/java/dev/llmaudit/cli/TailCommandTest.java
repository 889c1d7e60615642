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
