package dev.llmaudit.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.TestEvents;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(KafkaClusterExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestGatewayIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "lla_test-key-acme";
    static final String OTHER_KEY = "lla_test-key-globex";
    static final String EVENT = "{\"event_id\":\"%s\",\"event_time\":\"2026-11-26T10:00:00Z\",\"cloud\":\"azure\",\"region\":\"swedencentral\","
            + "\"request_model\":\"gpt-5.5\",\"input_tokens\":100,\"output_tokens\":20}";
    static final String LITELLM = """
            {"id":"%s","trace_id":"3f2a1c4e-5b6d-4e8f-9a0b-1c2d3e4f5a6b","call_type":"acompletion","status":"success",
             "response_cost":0.000123450000000001,"prompt_tokens":1200,"completion_tokens":80,"total_tokens":1280,
             "startTime":1795687200.25,"endTime":1795687201.5,"completionStartTime":1795687200.75,"stream":true,
             "model":"bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0","api_base":"https://bedrock-runtime.eu-central-1.amazonaws.com",
             "metadata":{"user_api_key_team_alias":"claims","user_api_key_alias":"claims-bot",
                         "requester_metadata":{"data_classification":"pii","data_residency":"eu","environment":"prod"}},
             "request_tags":["cost_center:CC-7","beta"],"end_user":"user-42",
             "messages":[{"role":"user","content":"very private question"}],"response":{"choices":[{"message":{"content":"private answer"}}]}}""";

    KafkaCluster cluster;
    EmbeddedSchemaRegistry registry;
    IngestGateway gateway;
    String topic;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void cluster(KafkaCluster cluster, EmbeddedSchemaRegistry registry) {
        this.cluster = cluster;
        this.registry = registry;
    }

    /** Each test its own topic and gateway (ports bound by the server, read back): no test sees another's events. */
    @BeforeEach
    void start() {
        topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 3, Map.of());
        gateway = IngestGateway.start(config(topic).withLimits(64 * 1024, 1000, 8, 2, Duration.ofSeconds(15)), KEYS);
    }

    static final ApiKeys KEYS = ApiKeys.of(Map.of(ApiKeys.sha256(KEY), "acme", ApiKeys.sha256(OTHER_KEY), "globex"));

    GatewayConfig config(String topic) {
        return GatewayConfig.defaults(cluster.bootstrapServers(), registry.url()).withPorts("127.0.0.1", 0, 0).withTopic(topic)
                .withHmacKey(HMAC_KEY).withTransactionalIdPrefix(topic)
                // The fixtures are dated 2026-11-26; the age limit has its own test with the default window.
                .withTimeWindow(Duration.ofDays(3650), dev.llmaudit.schemas.EventBounds.DEFAULT_FUTURE_SKEW);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    static final byte[] HMAC_KEY = "gateway-secret".getBytes(StandardCharsets.UTF_8);

    /** HMAC-SHA256 with the gateway's key, computed here with the JDK, not by the code under test. */
    static String hmac(String text) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(HMAC_KEY, "HmacSHA256"));
        return java.util.HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    List<LlmCallEvent> topicContent() {
        return TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
    }

    /**
     * The topic once it holds at least {@code n} events (15 s at most). A 202 means the transaction committed,
     * but the producer's commit returns before the coordinator has written the commit markers to the
     * partitions, so a read_committed reader may see the events a moment later (a full build once read
     * an empty topic right after a 202).
     */
    List<LlmCallEvent> topicContent(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<LlmCallEvent> got = topicContent();
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
            got = topicContent();
        }
        return got;
    }

    HttpResponse<String> post(String key, String contentType, byte[] body) throws Exception {
        return postTo("/v1/events", key, contentType, body);
    }

    HttpResponse<String> postTo(String path, String key, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String contentType, String body) throws Exception {
        return post(KEY, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsSingleArrayAndNdjsonAndStampsTheTenantFromTheKey() throws Exception {
        HttpResponse<String> single = post("application/json", EVENT.formatted("s-1"));
        assertThat(single.statusCode()).as(single.body()).isEqualTo(202);
        assertThat(JSON.readTree(single.body()).get("accepted").asInt()).isEqualTo(1);

        HttpResponse<String> array = post("application/json", "[" + EVENT.formatted("a-1") + "," + EVENT.formatted("a-2") + "]");
        assertThat(array.statusCode()).isEqualTo(202);
        HttpResponse<String> lines = post("application/x-ndjson", EVENT.formatted("n-1") + "\n\n" + EVENT.formatted("n-2") + "\r\n");
        assertThat(lines.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(lines.body()).get("results")).extracting(r -> r.get("line").asInt() + ":" + r.get("status").asText())
                .containsExactly("1:accepted", "3:accepted");

        List<LlmCallEvent> got = topicContent(5);
        assertThat(got).extracting(LlmCallEvent::getEventId).containsExactlyInAnyOrder("s-1", "a-1", "a-2", "n-1", "n-2");
        assertThat(got).allSatisfy(e -> assertThat(e.getTenant()).isEqualTo("acme"));
    }

    @Test
    void acceptsLiteLlmStandardLoggingPayloadsAndKeepsNoText() throws Exception {
        HttpResponse<String> first = post("application/json", LITELLM.formatted("ll-1"));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        assertThat(post("application/json", "[" + LITELLM.formatted("ll-2") + "]").statusCode()).isEqualTo(202);
        HttpResponse<String> nd = post("application/json", LITELLM.formatted("ll-3").replace("\n", "") + "\n" + LITELLM.formatted("ll-4").replace("\n", ""));
        assertThat(nd.statusCode()).as(nd.body()).isEqualTo(202);

        List<LlmCallEvent> all = topicContent(4);
        assertThat(all).extracting(LlmCallEvent::getEventId).containsExactlyInAnyOrder("ll-1", "ll-2", "ll-3", "ll-4");
        LlmCallEvent e = all.stream().filter(x -> x.getEventId().equals("ll-1")).findFirst().orElseThrow();
        assertThat(e.getTenant()).isEqualTo("acme");
        assertThat(e.getCloud()).isEqualTo(Cloud.aws);
        assertThat(e.getProvider()).isEqualTo("aws.bedrock");
        assertThat(e.getRegion()).isEqualTo("eu-central-1");
        assertThat(e.getDeploymentScope()).hasToString("data_zone");
        assertThat(e.getRequestModel()).isEqualTo("eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(e.getOperation()).hasToString("chat");
        assertThat(e.getEventTime()).hasToString("2026-11-26T10:00:01.500Z");
        assertThat(e.getLatencyMs()).isEqualTo(1250L);
        assertThat(e.getTimeToFirstTokenMs()).isEqualTo(500L);
        assertThat(e.getInputTokens()).isEqualTo(1200L);
        assertThat(e.getReportedCost().getAmount().stripTrailingZeros().toPlainString()).isEqualTo("0.00012345");
        assertThat(e.getTeam()).isEqualTo("claims");
        assertThat(e.getApp()).isEqualTo("claims-bot");
        assertThat(e.getDataClassification()).isEqualTo("pii");
        assertThat(e.getDataResidency()).isEqualTo("eu");
        assertThat(e.getTags()).containsEntry("cost_center", "CC-7").containsEntry("beta", "true");
        assertThat(e.getTraceId()).isEqualTo("3f2a1c4e5b6d4e8f9a0b1c2d3e4f5a6b");
        // The gateway hashes LiteLLM's end_user, and the messages and response as the JSON LiteLLM sent.
        assertThat(e.getUserHash()).isEqualTo(hmac("user-42"));
        assertThat(e.getPromptHash()).isEqualTo(hmac("[{\"role\":\"user\",\"content\":\"very private question\"}]"));
        assertThat(e.getResponseHash()).isEqualTo(hmac("{\"choices\":[{\"message\":{\"content\":\"private answer\"}}]}"));
        assertThat(e.toString()).doesNotContain("very private question").doesNotContain("private answer").doesNotContain("user-42");
    }

    static Stream<Arguments> malformed() {
        String ok = EVENT.formatted("never-1");
        byte[] invalidUtf8 = ("{\"event_id\":\"x\u00e9\"}").getBytes(StandardCharsets.ISO_8859_1);
        return Stream.of(
                Arguments.of("truncated JSON", KEY, "application/json", "{\"event_id\":\"t\",".getBytes(StandardCharsets.UTF_8), 400, "malformed JSON at line 1"),
                Arguments.of("wrong types", KEY, "application/json", "{\"event_id\":\"w\",\"event_time\":\"2026-11-26T10:00:00Z\",\"input_tokens\":\"many\"}"
                        .getBytes(StandardCharsets.UTF_8), 400, "\"field\":\"input_tokens\",\"message\":\"must be an integer, got a string \\\"many\\\"\""),
                Arguments.of("huge string", KEY, "application/json", ("{\"event_id\":\"h\",\"event_time\":\"2026-11-26T10:00:00Z\",\"app\":\""
                        + "x".repeat(5000) + "\"}").getBytes(StandardCharsets.UTF_8), 400, "\"field\":\"app\",\"message\":\"must be at most 256 characters, got 5000\""),
                Arguments.of("invalid UTF-8", KEY, "application/json", invalidUtf8, 400, "body is not valid UTF-8 text"),
                Arguments.of("wrong content type", KEY, "text/csv", ok.getBytes(StandardCharsets.UTF_8), 415, "unsupported Content-Type \\\"text/csv\\\""),
                Arguments.of("missing key", null, "application/json", ok.getBytes(StandardCharsets.UTF_8), 401, "missing API key"),
                Arguments.of("wrong key", "lla_wrong", "application/json", ok.getBytes(StandardCharsets.UTF_8), 401, "unknown API key"),
                Arguments.of("other tenant", KEY, "application/json", ("{\"event_id\":\"o\",\"event_time\":\"2026-11-26T10:00:00Z\",\"tenant\":\"globex\"}")
                        .getBytes(StandardCharsets.UTF_8), 400, "this API key belongs to tenant acme; the event claims \\\"globex\\\""),
                Arguments.of("too large", KEY, "application/json", ("[" + String.join(",", java.util.Collections.nCopies(400, ok)) + "]")
                        .getBytes(StandardCharsets.UTF_8), 413, "over the limit of 65536 bytes"),
                Arguments.of("one bad line among good ones", KEY, "application/x-ndjson", (ok + "\n{\"event_id\":\"b\"}\n" + EVENT.formatted("never-2"))
                        .getBytes(StandardCharsets.UTF_8), 400, "1 of 3 events are invalid; nothing was written"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsBadInputWithAClearReasonAndWritesNothing(String name, String key, String type, byte[] body, int status, String reason)
            throws Exception {
        HttpResponse<String> r = post(key, type, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.body()).contains(reason);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(topicContent()).as("the whole topic, read to its end offsets").isEmpty();
        // The gateway still writes: the next good request is the only event on the topic.
        assertThat(post("application/json", EVENT.formatted("after-" + name.hashCode())).statusCode()).isEqualTo(202);
        assertThat(topicContent(1)).extracting(LlmCallEvent::getEventId).containsExactly("after-" + name.hashCode());
    }

    @Test
    void moreThanTenThousandEventsInOneRequestIs413AndTenThousandAreWritten() throws Exception {
        // The default limits: 10,000 events and 10 MiB per request.
        try (IngestGateway g = IngestGateway.start(config(topic), KEYS)) {
            String tenThousand = java.util.stream.IntStream.range(0, 10_000).mapToObj(i -> EVENT.formatted("big-" + i))
                    .collect(java.util.stream.Collectors.joining("\n"));
            HttpResponse<String> over = http.send(eventsRequest(g.port(), tenThousand + "\n" + EVENT.formatted("big-10000")),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(over.statusCode()).isEqualTo(413);
            assertThat(JSON.readTree(over.body()).get("error").asText())
                    .isEqualTo("10001 events in one request; at most 10000 are accepted; send smaller batches");
            assertThat(topicContent()).isEmpty();

            HttpResponse<String> at = http.send(eventsRequest(g.port(), tenThousand), HttpResponse.BodyHandlers.ofString());
            assertThat(at.statusCode()).as(at.body()).isEqualTo(202);
            assertThat(JSON.readTree(at.body()).get("accepted").asInt()).isEqualTo(10_000);
        }
        assertThat(topicContent(10_000)).hasSize(10_000);
    }

    HttpRequest eventsRequest(int port, String ndjson) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/events")).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(ndjson)).build();
    }

    @Test
    void aRequestBeyondTheInFlightLimitIs503WithRetryAfterAndTheOneInFlightCompletes() throws Exception {
        try (IngestGateway g = IngestGateway.start(config(topic).withLimits(64 * 1024, 1000, 1, 1, Duration.ofSeconds(15)), KEYS);
             java.net.Socket slow = new java.net.Socket("127.0.0.1", g.port())) {
            // A client that sends its headers and half its body, then waits: it holds the only in-flight permit.
            byte[] body = (EVENT.formatted("slow-1") + " ".repeat(200)).getBytes(StandardCharsets.UTF_8);
            var out = slow.getOutputStream();
            out.write(("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 50);
            out.flush();
            // Wait until the slow request holds the permit: a second request sent before would race it for the slot.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (g.requestsInFlight() < 1) {
                assertThat(System.nanoTime()).as("the slow request holds the in-flight slot within 30 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            HttpResponse<String> refused = http.send(eventsRequest(g.port(), EVENT.formatted("fast-0")), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as("a 503 while the slow request holds the permit: " + refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(JSON.readTree(refused.body()).get("error").asText()).isEqualTo("overloaded: too many requests in flight; retry after 1 second");

            out.write(body, 50, body.length - 50);
            out.flush();
            String answer = new String(slow.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(answer).isEqualTo("HTTP/1.1 202");
        }
        assertThat(topicContent(1)).extracting(LlmCallEvent::getEventId).contains("slow-1")
                .allMatch(id -> id.equals("slow-1") || id.startsWith("fast-"));
    }

    @Test
    void healthReadinessAndMetrics() throws Exception {
        String base = "http://127.0.0.1:" + gateway.adminPort();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        post("application/json", EVENT.formatted("m-1"));
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("llm_audit_ingest_events_total{result=\"accepted\"}").contains("llm_audit_ingest_requests_total{status=\"202\"}");
    }

    @Test
    void kafkaUnavailableIs503WithRetryAfterNot500(EmbeddedSchemaRegistry registry) throws Exception {
        GatewayConfig dead = GatewayConfig.defaults("127.0.0.1:1", registry.url()).withPorts("127.0.0.1", 0, 0)
                .withLimits(64 * 1024, 100, 4, 1, Duration.ofSeconds(2)).withTransactionalIdPrefix("dead-" + System.nanoTime());
        try (IngestGateway g = IngestGateway.start(dead, ApiKeys.of(Map.of(ApiKeys.sha256(KEY), "acme")))) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/events"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(EVENT.formatted("dead-1"))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertThat(r.body()).contains("nothing was written");
            JsonNode ready = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.adminPort() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(ready.get("status").asText()).startsWith("kafka unreachable");
        }
    }

    /** OTLP/HTTP as exporters send it: protobuf, gzip, the key in a header; the answer in the request's encoding. */
    @Test
    void otlpTracesInProtobufAndJsonBecomeEventsAndBadSpansArePartialSuccess() throws Exception {
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(OtlpTracesTest.bedrockRequest());
        }
        HttpResponse<byte[]> proto = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/traces"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/x-protobuf").header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(proto.statusCode()).as(new String(proto.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(proto.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
        assertThat(io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.parseFrom(proto.body()).hasPartialSuccess())
                .as("every GenAI span accepted; the HTTP span is ignored, not refused").isFalse();

        // JSON: one good span, one with a token count that is not a number, one claiming another tenant.
        String span = "{\"traceId\":\"%s\",\"spanId\":\"%s\",\"startTimeUnixNano\":\"1795687200000000000\",\"attributes\":["
                + "{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},"
                + "{\"key\":\"gen_ai.provider.name\",\"value\":{\"stringValue\":\"openai\"}},"
                + "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-5.5\"}},"
                + "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"stringValue\":\"%s\"}}%s]}";
        String body = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" + String.join(",",
                span.formatted("aa".repeat(16), "01".repeat(8), "10", ""),
                span.formatted("aa".repeat(16), "02".repeat(8), "many", ""),
                span.formatted("aa".repeat(16), "03".repeat(8), "5", ",{\"key\":\"llm_audit.tenant\",\"value\":{\"stringValue\":\"globex\"}}"))
                + "]}]}]}";
        HttpResponse<String> json = postTo("/v1/traces", KEY, "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        JsonNode partial = JSON.readTree(json.body()).path("partialSuccess");
        assertThat(partial.path("rejectedSpans").asText()).isEqualTo("2");
        assertThat(partial.path("errorMessage").asText()).contains("span " + "aa".repeat(16) + "/" + "02".repeat(8) + ": input_tokens")
                .contains("belongs to tenant acme");

        assertThat(topicContent(2)).extracting(LlmCallEvent::getEventId).containsExactlyInAnyOrder(
                "otel-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174", "otel-" + "aa".repeat(16) + "-" + "01".repeat(8));
        assertThat(topicContent()).allSatisfy(e -> assertThat(e.getTenant()).isEqualTo("acme"))
                .allSatisfy(e -> assertThat(e.toString()).doesNotContain("secret question"));

        // Not OTLP at all: 400, nothing written; another content type: 415.
        assertThat(postTo("/v1/traces", KEY, "application/x-protobuf", new byte[] {(byte) 0xff, 1, 2}).statusCode()).isEqualTo(400);
        assertThat(postTo("/v1/traces", KEY, "text/plain", "x".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(415);
        assertThat(postTo("/v1/traces", null, "application/json", "{}".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(401);
        // Spans are counted before they are built: 20,000 empty ones (2 bytes each) are 413, not 20,000 objects.
        byte[] many = io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(io.opentelemetry.proto.trace.v1.ResourceSpans.newBuilder().addScopeSpans(
                        io.opentelemetry.proto.trace.v1.ScopeSpans.newBuilder().addAllSpans(
                                java.util.Collections.nCopies(20_000, io.opentelemetry.proto.trace.v1.Span.getDefaultInstance())))).build().toByteArray();
        HttpResponse<String> tooMany = postTo("/v1/traces", KEY, "application/x-protobuf", many);
        assertThat(tooMany.statusCode()).isEqualTo(413);
        assertThat(tooMany.body()).contains("20000 spans in one request; at most 1000 ");
        assertThat(topicContent()).hasSize(2);
    }

    /**
     * The real OpenTelemetry Java SDK and its OTLP/HTTP exporter (protobuf, gzip, the key in a header), as an
     * app instrumented with the GenAI conventions sends: one model-call span becomes one priced event; the
     * HTTP client span around it is counted and ignored.
     */
    @Test
    void theOpenTelemetrySdkExporterSendsGenAiSpansThatBecomeEvents() throws Exception {
        io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter exporter = io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter
                .builder().setEndpoint("http://127.0.0.1:" + gateway.port() + "/v1/traces").addHeader("Authorization", "Bearer " + KEY)
                .setCompression("gzip").build();
        io.opentelemetry.sdk.resources.Resource resource = io.opentelemetry.sdk.resources.Resource.getDefault().merge(
                io.opentelemetry.sdk.resources.Resource.create(io.opentelemetry.api.common.Attributes.builder()
                        .put("service.name", "claims-bot").put("deployment.environment.name", "prod").put("llm_audit.team", "claims").build()));
        String traceId;
        String spanId;
        try (io.opentelemetry.sdk.trace.SdkTracerProvider tracing = io.opentelemetry.sdk.trace.SdkTracerProvider.builder().setResource(resource)
                .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(exporter)).build()) {
            io.opentelemetry.api.trace.Tracer tracer = tracing.get("llm-audit-test");
            io.opentelemetry.api.trace.Span call = tracer.spanBuilder("chat gpt-5.5").setSpanKind(io.opentelemetry.api.trace.SpanKind.CLIENT)
                    .setAttribute("gen_ai.operation.name", "chat").setAttribute("gen_ai.provider.name", "openai")
                    .setAttribute("gen_ai.request.model", "gpt-5.5").setAttribute("server.address", "api.openai.com").startSpan();
            call.setAttribute("gen_ai.response.model", "gpt-5.5-2026-04-23");
            call.setAttribute("gen_ai.usage.input_tokens", 1200L);
            call.setAttribute("gen_ai.usage.output_tokens", 300L);
            call.end();
            traceId = call.getSpanContext().getTraceId();
            spanId = call.getSpanContext().getSpanId();
            tracer.spanBuilder("GET /v1/models").setSpanKind(io.opentelemetry.api.trace.SpanKind.CLIENT)
                    .setAttribute("http.request.method", "GET").startSpan().end();
            assertThat(tracing.forceFlush().join(10, java.util.concurrent.TimeUnit.SECONDS).isSuccess()).as("the exporter's export succeeded").isTrue();
        }

        LlmCallEvent e = topicContent(1).get(0);
        assertThat(topicContent()).hasSize(1);
        assertThat(e.getEventId()).isEqualTo("otel-" + traceId + "-" + spanId);
        assertThat(e.getTenant()).isEqualTo("acme");
        assertThat(e.getApp()).isEqualTo("claims-bot");
        assertThat(e.getEnvironment()).isEqualTo("prod");
        assertThat(e.getTeam()).isEqualTo("claims");
        assertThat(e.getCloud()).isEqualTo(dev.llmaudit.avro.Cloud.openai);
        assertThat(List.of(e.getInputTokens(), e.getOutputTokens())).containsExactly(1200L, 300L);
        assertThat(e.getTraceId()).isEqualTo(traceId);
        // OpenAI gpt-5.5, USD per million (catalog 2026-07-01): input 5, output 30.
        assertThat(dev.llmaudit.ingest.ShippedPrices.cost(e)).isEqualByComparingTo(dev.llmaudit.ingest.Expected.usd(1200, "5", 300, "30"));
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("llm_audit_ingest_otlp_spans_ignored_total 1.0");
    }
}
