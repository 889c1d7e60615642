package dev.llmaudit.ingest.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.bedrock.backends.BedrockBackend;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.vertex.backends.VertexBackend;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
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
import dev.llmaudit.ingest.client.LlmAuditContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;
import software.amazon.awssdk.regions.Region;

/**
 * Anthropic's Java SDK with its three backends (Anthropic's API, Bedrock, Vertex AI) against a
 * local fake that answers as each does: JSON, server-sent events, or Bedrock's event stream with
 * the events inside base64 chunks. Events land on a real broker and are priced with the shipped catalog.
 */
@ExtendWith(KafkaClusterExtension.class)
class AnthropicCaptureIT {
    static final long PAUSE_MS = 60;
    static final String KEY = "anthropic-key";
    static final String USAGE = "\"usage\":{\"input_tokens\":900,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":50,\"output_tokens\":";

    static String message(String id, String model) {
        return "{\"id\":\"" + id + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Covered.\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null," + USAGE + "40}}";
    }

    static List<String> events(String id, String model, boolean overloaded) {
        List<String> events = new ArrayList<>(List.of(
                "{\"type\":\"message_start\",\"message\":{\"id\":\"" + id + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model
                        + "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null," + USAGE + "1}}}",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Cov\"}}"));
        if (overloaded) {
            events.add("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
            return events;
        }
        events.addAll(List.of(
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ered.\"}}",
                "{\"type\":\"content_block_stop\",\"index\":0}",
                // The final usage repeats input_tokens without the cache counts: those of message_start still hold.
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":900,"
                        + "\"cache_read_input_tokens\":null,\"output_tokens\":40}}",
                "{\"type\":\"message_stop\"}"));
        return events;
    }

    static Answer sse(List<String> events) {
        List<byte[]> parts = events.stream().map(e -> ("event: " + e.replaceAll("^\\{\"type\":\"([a-z_]+)\".*$", "$1") + "\ndata: " + e + "\n\n")
                .getBytes(StandardCharsets.UTF_8)).toList();
        return Answer.stream("text/event-stream", parts, PAUSE_MS, false);
    }

    /** Bedrock's InvokeModelWithResponseStream: each Anthropic event base64 in a chunk frame. */
    static Answer bedrockStream(List<String> events) {
        List<byte[]> parts = events.stream().map(e -> {
            Map<String, HeaderValue> h = new LinkedHashMap<>();
            h.put(":event-type", HeaderValue.fromString("chunk"));
            h.put(":content-type", HeaderValue.fromString("application/json"));
            h.put(":message-type", HeaderValue.fromString("event"));
            String payload = "{\"bytes\":\"" + Base64.getEncoder().encodeToString(e.getBytes(StandardCharsets.UTF_8)) + "\",\"p\":\"abc\"}";
            var buffer = new Message(h, payload.getBytes(StandardCharsets.UTF_8)).toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        }).toList();
        Answer a = Answer.stream("application/vnd.amazon.eventstream", parts, PAUSE_MS, false);
        return new Answer(200, Map.of("Content-Type", "application/vnd.amazon.eventstream", "x-amzn-bedrock-content-type", "application/json"),
                null, a.parts(), PAUSE_MS, false);
    }

    static Answer answer(FakeHttpServer.Seen req) {
        String path = req.path();
        if (req.body().contains("through-a-proxy")) {
            // Not Anthropic's JSON: a proxy's error page. The app must still see it.
            return new Answer(502, Map.of("Content-Type", "text/html"), "<html><body><h1>502 Bad Gateway</h1></body></html>");
        }
        String backend = path.contains("/model/") ? "bedrock" : path.contains("/publishers/anthropic/") ? "vertex" : "direct";
        String model = backend.equals("bedrock") ? "claude-sonnet-4-5-20250929" : backend.equals("vertex") ? "claude-sonnet-4-5@20250929"
                : "claude-sonnet-4-5-20250929";
        boolean stream = path.endsWith("invoke-with-response-stream") || path.endsWith(":streamRawPredict") || req.body().contains("\"stream\":true");
        String id = "msg_" + backend + (stream ? "_stream" : "") + (req.body().contains("overload") ? "_overloaded" : "");
        if (!stream) {
            return new Answer(200, Map.of("request-id", "req_" + id), message(id, model));
        }
        List<String> events = events(id, model, req.body().contains("overload"));
        return backend.equals("bedrock") ? bedrockStream(events) : sse(events);
    }

    static MessageCreateParams ask(String model, String text) {
        return MessageCreateParams.builder().model(model).maxTokens(100).addUserMessage(text).build();
    }

    static String streamText(AnthropicClient client, MessageCreateParams params) {
        try (StreamResponse<RawMessageStreamEvent> s = client.messages().createStreaming(params)) {
            return s.stream().filter(RawMessageStreamEvent::isContentBlockDelta)
                    .map(e -> e.asContentBlockDelta().delta().text().map(t -> t.text()).orElse("")).collect(Collectors.joining());
        }
    }

    @Test
    void everyBackendStreamedOrNotIsRecordedOnceWithTokensAndCost(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer fake = new FakeHttpServer(AnthropicCaptureIT::answer);
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey(KEY.getBytes(StandardCharsets.UTF_8)).build(),
                     new SimpleMeterRegistry())) {
            AnthropicClient direct = AnthropicOkHttpClient.builder().baseUrl(fake.url()).apiKey("sk-ant-test").maxRetries(0)
                    .addInterceptor(AnthropicAuditInterceptor.anthropic(audit)).build();
            AnthropicClient bedrock = AnthropicOkHttpClient.builder().maxRetries(0)
                    .backend(BedrockBackend.builder().awsCredentials(AwsBasicCredentials.create("AKIDEXAMPLE", "secret"))
                            .region(Region.US_EAST_1).baseUrl(fake.url()).build())
                    .addInterceptor(AnthropicAuditInterceptor.bedrock(audit, "us-east-1")).build();
            AnthropicClient vertex = AnthropicOkHttpClient.builder().maxRetries(0)
                    .backend(VertexBackend.builder().googleCredentials(GoogleCredentials.create(
                                    new AccessToken("fake-token", new Date(System.currentTimeMillis() + 86_400_000L))))
                            .region("europe-west1").project("claims-prod").baseUrl(fake.url()).build())
                    .addInterceptor(AnthropicAuditInterceptor.vertex(audit, "europe-west1")).build();

            try (LlmAuditContext ctx = LlmAuditContext.open().dataResidency("eu").tag("team", "claims")) {
                assertThat(direct.messages().create(ask("claude-sonnet-4-5-20250929", "hello")).content().get(0).text().orElseThrow().text())
                        .isEqualTo("Covered.");
                assertThat(streamText(direct, ask("claude-sonnet-4-5-20250929", "hello"))).isEqualTo("Covered.");
            }
            assertThatThrownBy(() -> streamText(direct, ask("claude-sonnet-4-5-20250929", "overload"))).hasMessageContaining("Overloaded");
            assertThatThrownBy(() -> direct.messages().create(ask("claude-sonnet-4-5-20250929", "through-a-proxy")))
                    .as("the app sees the proxy's answer as the SDK reports it").hasMessageContaining("502");
            String bedrockModel = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
            bedrock.messages().create(ask(bedrockModel, "hello"));
            assertThat(streamText(bedrock, ask(bedrockModel, "hello"))).isEqualTo("Covered.");
            vertex.messages().create(ask("claude-sonnet-4-5@20250929", "hello"));
            assertThat(streamText(vertex, ask("claude-sonnet-4-5@20250929", "hello"))).isEqualTo("Covered.");

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 8 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(fake.seen()).extracting(FakeHttpServer.Seen::path).contains(
                    "/model/" + bedrockModel + "/invoke", "/model/" + bedrockModel + "/invoke-with-response-stream",
                    "/v1/projects/claims-prod/locations/europe-west1/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict");
        }

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
        assertThat(events).as("one event per call").hasSize(8);
        Map<String, LlmCallEvent> byId = events.stream().filter(e -> e.getRequestId() != null)
                .collect(Collectors.toMap(LlmCallEvent::getRequestId, e -> e));
        String expectedText = Expected.hmacSha256(KEY, "Covered.");

        for (String id : List.of("msg_direct", "msg_direct_stream", "msg_bedrock", "msg_bedrock_stream", "msg_vertex", "msg_vertex_stream")) {
            LlmCallEvent e = byId.get(id);
            assertThat(e).as(id).isNotNull();
            assertThat(e.getStatus()).as(id).isEqualTo(CallStatus.ok);
            assertThat(List.of(e.getInputTokens(), e.getCachedInputTokens(), e.getOutputTokens()))
                    .as(id + ": cache reads and writes counted in input").containsExactly(1050L, 100L, 40L);
            assertThat(e.getResponseHash()).as(id).isEqualTo(expectedText);
            assertThat(e.getPromptHash()).as(id).isEqualTo(Expected.hmacSha256(KEY, "hello"));
            assertThat(e.getStreaming()).as(id).isEqualTo(id.endsWith("_stream"));
            if (e.getStreaming()) {
                assertThat(e.getTimeToFirstTokenMs()).as(id).isBetween(3 * PAUSE_MS, e.getLatencyMs());
            }
        }
        LlmCallEvent direct = byId.get("msg_direct_stream");
        assertThat(direct.getCloud()).isEqualTo(Cloud.anthropic);
        assertThat(direct.getDataResidency()).isEqualTo("eu");
        assertThat(direct.getTags()).containsEntry("team", "claims");
        // Claude Sonnet 4.5, USD per million (catalog 2026-07-01): Anthropic and Bedrock global 3 / cache read 0.3 / output 15;
        // the catalog prices cache writes as input (Anthropic bills them 1.25x: noted in the capture table).
        assertThat(ShippedPrices.cost(byId.get("msg_direct"))).isEqualByComparingTo(Expected.usd(950, "3", 100, "0.3", 40, "15"));
        assertThat(ShippedPrices.cost(direct)).isEqualByComparingTo(Expected.usd(950, "3", 100, "0.3", 40, "15"));

        LlmCallEvent bedrock = byId.get("msg_bedrock_stream");
        assertThat(bedrock.getCloud()).isEqualTo(Cloud.aws);
        assertThat(bedrock.getRegion()).isEqualTo("us-east-1");
        assertThat(bedrock.getDeploymentScope()).isEqualTo(DeploymentScope.global);
        assertThat(ShippedPrices.cost(bedrock)).isEqualByComparingTo(Expected.usd(950, "3", 100, "0.3", 40, "15"));

        LlmCallEvent vertex = byId.get("msg_vertex_stream");
        assertThat(vertex.getCloud()).isEqualTo(Cloud.gcp);
        assertThat(vertex.getProvider()).isEqualTo("gcp.vertex_ai");
        assertThat(vertex.getRegion()).isEqualTo("europe-west1");
        assertThat(vertex.getDeploymentScope()).isEqualTo(DeploymentScope.regional);
        // Vertex regional endpoints: global x 1.10 (scope rule vertex-claude-4.5-and-later).
        assertThat(ShippedPrices.cost(vertex)).isEqualByComparingTo(Expected.usd(950, "3.3", 100, "0.33", 40, "16.5"));

        LlmCallEvent overloaded = byId.get("msg_direct_stream_overloaded");
        assertThat(overloaded.getStatus()).isEqualTo(CallStatus.error);
        assertThat(overloaded.getErrorType()).isEqualTo("overloaded_error");
        assertThat(overloaded.getInputTokens()).as("what message_start said").isEqualTo(1050L);
        assertThat(overloaded.getOutputTokens()).as("message_start's running count").isEqualTo(1L);

        LlmCallEvent proxied = events.stream().filter(e -> Integer.valueOf(502).equals(e.getHttpStatus())).findFirst().orElseThrow();
        assertThat(proxied.getStatus()).isEqualTo(CallStatus.error);
        assertThat(proxied.getErrorType()).isEqualTo("http_502");
    }
}
