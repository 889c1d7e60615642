package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.PipelineTopics;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The enforcer in-process against a real broker: output, readiness and metrics, and a bundle published while it runs. */
@ExtendWith(KafkaClusterExtension.class)
class EnforcerIT {
    @Test
    void runsReportsReadyAndSwitchesBundlesPublishedWhileRunning(KafkaCluster cluster, EmbeddedSchemaRegistry registry, @TempDir Path dir)
            throws Exception {
        String prefix = cluster.uniqueTopic("it") + ".";
        PipelineTopics topics = PipelineTopics.defaults().prefixed(prefix);
        Path bundle = Path.of("..", "..", "policies", "bundle").toAbsolutePath().normalize();
        Path config = dir.resolve("enforcer.properties");
        Files.writeString(config, String.join("\n", "application.id=" + prefix + "enforcer", "bootstrap.servers=" + cluster.bootstrapServers(),
                "schema.registry.url=" + registry.url(), "bundle.dir=" + bundle, "state.dir=" + dir.resolve("state"), "http.port=0",
                "topic.events=" + topics.events(), "topic.dlq=" + topics.dlq(), "topic.priced=" + topics.priced(),
                "topic.violations=" + topics.violations(), "topic.budget.status=" + topics.budgetStatus(), "topic.policies=" + topics.policies()));
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        HttpClient http = HttpClient.newHttpClient();
        try (Enforcer enforcer = Enforcer.start(EnforcerConfig.load(config, Map.of()))) {
            String base = "http://127.0.0.1:" + enforcer.httpPort();
            EnforcerCrashIT.waitFor(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200, Duration.ofSeconds(60), "readiness", () -> enforcer.state() != org.apache.kafka.streams.KafkaStreams.State.ERROR, dir);
            send(cluster, client, topics, "it-1");
            assertThat(readPriced(cluster, client, topics, 1)).extracting(PricedLlmCall::getBundleVersion).containsExactly("2026.11.1");

            Path v2 = EnforcementTopologyTest.copy(bundle, dir.resolve("v2"));
            Files.writeString(v2.resolve("bundle.yaml"), Files.readString(v2.resolve("bundle.yaml")).replace("2026.11.1", "2026.11.9"));
            assertThat(PolicyPublisher.publish(v2, cluster.bootstrapServers(), topics.policies()).ok()).isTrue();
            // The global-store thread applies the bundle asynchronously: send until an event is evaluated with it.
            boolean switched = false;
            for (int i = 0; i < 30 && !switched; i++) {
                send(cluster, client, topics, "it-2-" + i);
                List<PricedLlmCall> got = readPriced(cluster, client, topics, 2 + i);
                switched = got.stream().anyMatch(x -> x.getBundleVersion().equals("2026.11.9"));
            }
            assertThat(switched).as("an event evaluated with the published bundle").isTrue();

            // A copy of it-1 and a record that is not Avro: the operators count what they decide.
            send(cluster, client, topics, "it-1");
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(cluster.clientProperties(), new StringSerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(topics.events(), "junk", "{\"not\":\"avro\"}".getBytes())).get();
            }
            String[] metrics = {""};
            EnforcerCrashIT.waitFor(() -> {
                metrics[0] = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                return metrics[0].contains("kafka_llm_audit_enforcer_duplicates_dropped_total") && metrics[0].contains("stage=\"deserialize\"");
            }, Duration.ofSeconds(60), "the operators' counters on /metrics", () -> true, dir);
            assertThat(metrics[0]).contains("kafka_stream").containsPattern("kafka_llm_audit_enforcer_duplicates_dropped_total\\{[^}]*\\} 1\\.0")
                    .containsPattern("kafka_llm_audit_enforcer_dead_letters_total\\{[^}]*reason=\"WireFormatException\"[^}]*stage=\"deserialize\"[^}]*\\} 1\\.0");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
        }
    }

    static void send(KafkaCluster cluster, SchemaRegistryClient client, PipelineTopics topics, String id) throws Exception {
        LlmCallEvent e = LlmCallEventJson.parseOrThrow("{\"event_id\":\"" + id + "\",\"event_time\":\"2026-11-02T10:00:00Z\",\"cloud\":\"openai\","
                + "\"request_model\":\"gpt-5.5\",\"input_tokens\":10,\"output_tokens\":10}");
        try (KafkaProducer<String, LlmCallEvent> p = new KafkaProducer<>(cluster.clientProperties(), new StringSerializer(),
                new ConfluentAvroSerializer<>(client, true))) {
            p.send(new ProducerRecord<>(topics.events(), id, e)).get();
        }
    }

    static List<PricedLlmCall> readPriced(KafkaCluster cluster, SchemaRegistryClient client, PipelineTopics topics, int expected) throws Exception {
        List<PricedLlmCall> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (out.size() < expected && System.nanoTime() < deadline) {
            out.clear();
            dev.llmaudit.jobs.CommittedRecords.read(cluster, topics.priced(), new ConfluentAvroDeserializer<>(client, PricedLlmCall.class), r -> out.add(r.value()));
        }
        out.sort(java.util.Comparator.comparing(p -> p.getEvent().getEventId()));
        return out;
    }
}
