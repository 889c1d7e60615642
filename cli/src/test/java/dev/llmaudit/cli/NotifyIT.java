package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyKind;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.Severity;
import dev.llmaudit.cli.notify.NotifyConfig;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llm-audit notify} against a real broker and local webhook receivers: one that fails twice
 * then recovers, a Slack-compatible one, and one that refuses; filters, signatures, duplicates in
 * the topic, undecodable records, and a restart that posts nothing twice.
 */
@ExtendWith(KafkaClusterExtension.class)
class NotifyIT {
    static final String SECRET = "whsec-test";

    record Post(String path, Map<String, String> headers, String body) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(body);
        }
    }

    static PolicyViolation violation(String id, String policy, PolicyKind kind, Severity severity, String tenant) {
        return PolicyViolation.newBuilder().setViolationId(id).setPolicyId(policy).setPolicyKind(kind).setSeverity(severity)
                .setMessage("call " + id + " broke " + policy).setEventId("evt-" + id).setDetectedAt(Instant.parse("2026-12-01T10:00:00Z"))
                .setTenant(tenant).setTeam("claims").setCloud(Cloud.aws).setRegion("us-east-1").setModel("eu.anthropic.claude-sonnet-4-5")
                .setDetails(Map.of("required", "eu", "processed_in", "us")).build();
    }

    static String hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void postsEachViolationOnceToTheWebhooksThatWantItRetriesAndKeepsWhatFails(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                              @TempDir Path dir) throws Exception {
        String topic = cluster.uniqueTopic("llm.violations");
        String dlq = cluster.uniqueTopic("llm.events.dlq");
        cluster.createTopic(topic, 2, Map.of());
        cluster.createTopic(dlq, 1, Map.of());
        List<Post> posts = new CopyOnWriteArrayList<>();
        AtomicInteger secopsCalls = new AtomicInteger();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/", ex -> {
            Map<String, String> headers = new java.util.HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = ex.getRequestURI().getPath();
            int status = 200;
            if (path.equals("/secops") && secopsCalls.incrementAndGet() <= 2) {
                status = 503; // down for its first two requests, then recovers
            } else if (path.equals("/refuses")) {
                status = 400;
            }
            if (status == 200) {
                posts.add(new Post(path, headers, body));
            }
            byte[] answer = (status == 200 ? "ok" : "no").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        receiver.start();
        String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
        Path config = dir.resolve("notify.yaml");
        Files.writeString(config, """
                group.id: notify-it
                start: earliest
                retry: {attempts: 4, initial.backoff: 50ms, max.backoff: 200ms}
                webhooks:
                  - {name: secops, url: "%1$s/secops", format: json, secret: "${env:SECOPS_SECRET}", min.severity: high}
                  - {name: finance, url: "%1$s/slack", format: slack, kinds: [budget]}
                  - {name: partner, url: "%1$s/refuses", format: json, tenants: [globex]}
                """.formatted(base));
        NotifyConfig cfg = NotifyConfig.load(config, Map.of("SECOPS_SECRET", SECRET));

        Properties client = new Properties();
        client.putAll(cluster.clientProperties());
        SchemaRegistryClient registryClient = new SchemaRegistryClient(RegistryConfig.fromMap(Map.of(RegistryConfig.URL, registry.url())));
        Properties producerProps = new Properties();
        producerProps.putAll(client);
        try (KafkaProducer<String, PolicyViolation> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new ConfluentAvroSerializer<>(registryClient, true));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
            for (PolicyViolation v : List.of(
                    violation("v1", "eu-residency", PolicyKind.residency, Severity.high, "acme"),
                    violation("v2", "monthly-budget", PolicyKind.budget, Severity.critical, "acme"),
                    violation("v3", "model-allowlist", PolicyKind.model, Severity.low, "acme"),
                    violation("v1", "eu-residency", PolicyKind.residency, Severity.high, "acme"),   // a replayed copy
                    violation("v4", "eu-residency", PolicyKind.residency, Severity.high, "globex"))) {
                producer.send(new ProducerRecord<>(topic, v.getViolationId(), v)).get();
            }
            raw.send(new ProducerRecord<>(topic, "garbage", "not avro at all".getBytes(StandardCharsets.UTF_8))).get();
            raw.send(new ProducerRecord<>(topic, "tombstone", (byte[]) null)).get();
        }

        NotifyCommand.Running first = NotifyCommand.Running.start(cfg, client, registryClient, topic, dlq);
        Thread t = new Thread(() -> {
            try {
                first.notifier().run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await(() -> first.notifier().stats().violations() == 5 && posts.size() == 4 && first.notifier().stats().deadLetters() == 3,
                "5 violations read, 4 posts, 3 dead letters; stats " + first.notifier().stats());
        first.notifier().stop();
        t.join(30_000);
        first.close();

        assertThat(posts).extracting(Post::path).containsExactlyInAnyOrder("/secops", "/secops", "/secops", "/slack");
        List<Post> secops = posts.stream().filter(p -> p.path().equals("/secops")).toList();
        assertThat(secops.stream().map(p -> p.headers().get("x-llmaudit-delivery")).toList())
                .as("v3 is low (below min.severity), v1's copy is skipped").containsExactlyInAnyOrder("v1", "v2", "v4");
        assertThat(secopsCalls.get()).as("two 503s, then one post each").isEqualTo(5);
        for (Post p : secops) {
            String ts = p.headers().get("x-llmaudit-timestamp");
            assertThat(p.headers().get("x-llmaudit-signature")).isEqualTo("sha256=" + hmac(SECRET, ts + "." + p.body()));
            JsonNode j = p.json();
            assertThat(j.get("violation_id").asText()).isEqualTo(p.headers().get("x-llmaudit-delivery"));
            assertThat(j.get("details").get("required").asText()).isEqualTo("eu");
        }
        JsonNode budget = secops.stream().filter(p -> p.headers().get("x-llmaudit-delivery").equals("v2")).findFirst().orElseThrow().json();
        assertThat(budget.get("type").asText()).isEqualTo("budget_threshold");
        Post slack = posts.stream().filter(p -> p.path().equals("/slack")).findFirst().orElseThrow();
        assertThat(slack.json().get("text").asText()).isEqualTo("critical monthly-budget: call v2 broke monthly-budget");
        assertThat(slack.json().get("blocks").get(0).get("text").get("text").asText()).contains("*CRITICAL* monthly-budget (budget)");
        assertThat(slack.headers()).doesNotContainKey("x-llmaudit-signature");

        List<DeadLetter> dead = dev.llmaudit.cli.local.TopicReader.readAll(client, registryClient, dlq, DeadLetter.class).stream()
                .map(r -> r.value()).toList();
        assertThat(dead).hasSize(3);
        assertThat(dead).filteredOn(d -> d.getErrorClass().equals("EmptyRecord")).hasSize(1);
        DeadLetter refused = dead.stream().filter(d -> d.getStage().equals("notify")).findFirst().orElseThrow();
        assertThat(refused.getErrorMessage()).contains("webhook partner").contains("HTTP 400").contains("not retried");
        assertThat(refused.getSourceTopic()).isEqualTo(topic);
        DeadLetter undecodable = dead.stream().filter(d -> d.getStage().equals("deserialize") && d.getOriginalValue() != null)
                .findFirst().orElseThrow();
        assertThat(new String(undecodable.getOriginalValue().array(), StandardCharsets.UTF_8)).isEqualTo("not avro at all");

        // Restarted with the same group: nothing already handled is posted again; a new violation is.
        try (KafkaProducer<String, PolicyViolation> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new ConfluentAvroSerializer<>(registryClient, true))) {
            producer.send(new ProducerRecord<>(topic, "v5", violation("v5", "eu-residency", PolicyKind.residency, Severity.critical, "acme"))).get();
        }
        NotifyCommand.Running second = NotifyCommand.Running.start(cfg, client, registryClient, topic, dlq);
        Thread t2 = new Thread(() -> {
            try {
                second.notifier().run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t2.start();
        await(() -> posts.size() == 5, "the new violation's post");
        Thread.sleep(1500); // anything re-posted after a restart would arrive now
        second.notifier().stop();
        t2.join(30_000);
        second.close();
        assertThat(second.notifier().stats().violations()).as("the second run read only the new record").isEqualTo(1);
        assertThat(posts).hasSize(5);
        assertThat(posts.get(4).headers().get("x-llmaudit-delivery")).isEqualTo("v5");
        receiver.stop(0);
    }
}
