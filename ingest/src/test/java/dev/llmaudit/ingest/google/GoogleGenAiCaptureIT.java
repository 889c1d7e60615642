package dev.llmaudit.ingest.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.genai.Client;
import com.google.genai.ResponseStream;
import com.google.genai.types.ClientOptions;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HttpOptions;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.Expected;
import dev.llmaudit.ingest.FakeHttpServer;
import dev.llmaudit.ingest.FakeHttpServer.Answer;
import dev.llmaudit.ingest.ShippedPrices;
import dev.llmaudit.ingest.TestEvents;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Google's Gen AI SDK against a local fake that answers as the Gemini API and Vertex AI do (JSON,
 * and server-sent events for {@code streamGenerateContent?alt=sse}); events land on a real broker
 * and are priced with the shipped catalog.
 */
@ExtendWith(KafkaClusterExtension.class)
class GoogleGenAiCaptureIT {
    static final long PAUSE_MS = 60;
    static final String KEY = "genai-key";
    static final String USAGE = "\"usageMetadata\":{\"promptTokenCount\":1000,\"cachedContentTokenCount\":200,\"candidatesTokenCount\":80,"
            + "\"thoughtsTokenCount\":20,\"totalTokenCount\":1100}";

    static String response(String id, String text, String finish, String usage) {
        return "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"" + text + "\"}]}"
                + (finish == null ? "" : ",\"finishReason\":\"" + finish + "\"") + ",\"index\":0}]"
                + (usage == null ? "" : "," + usage) + ",\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"" + id + "\"}";
    }

    static Answer answer(FakeHttpServer.Seen req) {
        String id = (req.path().contains("/projects/") ? "vertex" : "gemini") + (req.path().endsWith(":streamGenerateContent") ? "-stream" : "");
        if (req.body().contains("through-a-proxy")) {
            return new Answer(503, Map.of("Content-Type", "text/html"), "<html><body>Service Unavailable</body></html>");
        }
        if (req.body().contains("cut-short")) {
            // The connection ends after a chunk that counted only the prompt.
            return Answer.sse(List.of(response("cut", "Cov", null,
                    "\"usageMetadata\":{\"promptTokenCount\":1000,\"totalTokenCount\":1000}")), PAUSE_MS, true);
        }
        if (req.body().contains("exhausted")) {
            return new Answer(429, Map.of(), "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\","
                    + "\"status\":\"RESOURCE_EXHAUSTED\"}}");
        }
        if (!req.path().endsWith(":streamGenerateContent")) {
            return new Answer(200, Map.of(), response(id, "Covered.", "STOP", USAGE));
        }
        String early = "\"usageMetadata\":{\"promptTokenCount\":1000,\"cachedContentTokenCount\":200,\"totalTokenCount\":1000}";
        return Answer.sse(List.of(
                "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"thinking\",\"thought\":true}]},\"index\":0}],"
                        + early + ",\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"" + id + "\"}",
                response(id, "Cov", null, early),
                response(id, "ered.", "STOP", USAGE)), PAUSE_MS, false);
    }

    @Test
    void geminiApiAndVertexStreamedOrNotAreRecordedOnceWithTokensAndCost(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                       @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer fake = new FakeHttpServer(GoogleGenAiCaptureIT::answer);
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey(KEY.getBytes(StandardCharsets.UTF_8)).build(),
                     new SimpleMeterRegistry())) {
            ClientOptions captured = ClientOptions.builder().customHttpClient(GoogleGenAiAuditInterceptor.httpClient(audit)).build();
            // One attempt: the SDK retries 429s inside the capture (one event per call, the last attempt's outcome), with backoff.
            HttpOptions local = HttpOptions.builder().baseUrl(fake.url())
                    .retryOptions(com.google.genai.types.HttpRetryOptions.builder().attempts(1).build()).build();
            Client gemini = Client.builder().apiKey("fake-key").httpOptions(local).clientOptions(captured).build();
            Client vertex = Client.builder().vertexAI(true).project("claims-prod").location("europe-west4")
                    .credentials(GoogleCredentials.create(new AccessToken("fake-token", new Date(System.currentTimeMillis() + 86_400_000L))))
                    .httpOptions(local).clientOptions(captured).build();

            for (Client c : List.of(gemini, vertex)) {
                assertThat(c.models.generateContent("gemini-2.5-flash", "hello", null).text()).isEqualTo("Covered.");
                try (ResponseStream<GenerateContentResponse> s = c.models.generateContentStream("gemini-2.5-flash", "hello", null)) {
                    assertThat(StreamSupport.stream(s.spliterator(), false).map(r -> r.text() == null ? "" : r.text())
                            .collect(Collectors.joining())).endsWith("Covered.");
                }
            }
            assertThatThrownBy(() -> gemini.models.generateContent("gemini-2.5-flash", "exhausted", null))
                    .hasMessageContaining("exhausted");
            assertThatThrownBy(() -> gemini.models.generateContent("gemini-2.5-flash", "through-a-proxy", null))
                    .hasMessageContaining("Service Unavailable");
            assertThatThrownBy(() -> {
                try (ResponseStream<GenerateContentResponse> s = gemini.models.generateContentStream("gemini-2.5-flash", "cut-short", null)) {
                    s.forEach(r -> { });
                }
            });

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 7 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
        assertThat(events).as("one event per call, retries off").hasSize(7);
        Map<String, LlmCallEvent> byId = events.stream().filter(e -> e.getRequestId() != null)
                .collect(Collectors.toMap(LlmCallEvent::getRequestId, e -> e));
        for (String id : List.of("gemini", "gemini-stream", "vertex", "vertex-stream")) {
            LlmCallEvent e = byId.get(id);
            assertThat(e).as(id).isNotNull();
            assertThat(e.getStatus()).as(id).isEqualTo(CallStatus.ok);
            assertThat(e.getCloud()).isEqualTo(Cloud.gcp);
            assertThat(e.getOperation()).isEqualTo(Operation.generate_content);
            assertThat(e.getRequestModel()).isEqualTo("gemini-2.5-flash");
            assertThat(List.of(e.getInputTokens(), e.getCachedInputTokens(), e.getOutputTokens(), e.getReasoningTokens()))
                    .as(id + ": thoughts are output, and reasoning").containsExactly(1000L, 200L, 100L, 20L);
            assertThat(e.getResponseHash()).as(id + ": thoughts are not the answer").isEqualTo(Expected.hmacSha256(KEY, "Covered."));
            assertThat(e.getPromptHash()).isEqualTo(Expected.hmacSha256(KEY, "hello"));
            assertThat(e.getStreaming()).isEqualTo(id.endsWith("-stream"));
            // Gemini 2.5 Flash, USD per million (catalog 2026-07-01): input 0.3, cached 0.03, output and thinking 2.5.
            assertThat(ShippedPrices.cost(e)).as(id).isEqualByComparingTo(Expected.usd(800, "0.3", 200, "0.03", 80, "2.5", 20, "2.5"));
        }
        assertThat(byId.get("gemini").getProvider()).isEqualTo("gcp.gemini");
        assertThat(byId.get("gemini").getDeploymentScope()).isEqualTo(DeploymentScope.global);
        LlmCallEvent vertexStream = byId.get("vertex-stream");
        assertThat(vertexStream.getProvider()).isEqualTo("gcp.vertex_ai");
        assertThat(vertexStream.getRegion()).isEqualTo("europe-west4");
        assertThat(vertexStream.getDeploymentScope()).isEqualTo(DeploymentScope.regional);
        // The first chunk is a thought: output, so the first token.
        assertThat(vertexStream.getTimeToFirstTokenMs()).isBetween(PAUSE_MS, vertexStream.getLatencyMs());
        assertThat(vertexStream.getLatencyMs()).isGreaterThanOrEqualTo(3 * PAUSE_MS);

        LlmCallEvent exhausted = events.stream().filter(e -> Integer.valueOf(429).equals(e.getHttpStatus())).findFirst().orElseThrow();
        assertThat(exhausted.getErrorType()).isEqualTo("RESOURCE_EXHAUSTED");
        LlmCallEvent proxied = events.stream().filter(e -> Integer.valueOf(503).equals(e.getHttpStatus())).findFirst().orElseThrow();
        assertThat(proxied.getErrorType()).as("not JSON: named by its status").isEqualTo("http_503");
        LlmCallEvent cut = byId.get("cut");
        assertThat(cut.getStatus()).isEqualTo(CallStatus.error);
        assertThat(cut.getErrorType()).isNotBlank();
        assertThat(cut.getInputTokens()).isEqualTo(1000L);
        assertThat(cut.getOutputTokens()).as("unknown, not free").isNull();
    }
}
