package dev.llmaudit.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** OTLP spans to canonical events: both encodings, the conventions and the older names emitters send, content never kept. */
class OtlpTracesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant START = Instant.parse("2026-11-30T10:00:00.250Z");
    static final String TRACE = "5b8efff798038103d269b633813fc60c";
    static final String SPAN = "eee19b7ec3c1b174";

    static KeyValue kv(String k, Object v) {
        AnyValue.Builder a = AnyValue.newBuilder();
        if (v instanceof String s) {
            a.setStringValue(s);
        } else if (v instanceof Long l) {
            a.setIntValue(l);
        } else if (v instanceof Double d) {
            a.setDoubleValue(d);
        } else if (v instanceof Boolean b) {
            a.setBoolValue(b);
        }
        return KeyValue.newBuilder().setKey(k).setValue(a).build();
    }

    /** A Bedrock chat span as the OpenTelemetry Java instrumentation of the AWS SDK sends it, plus content. */
    static byte[] bedrockRequest() {
        Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(TRACE)))
                .setSpanId(ByteString.copyFrom(HexFormat.of().parseHex(SPAN))).setName("chat eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
                .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(START.getEpochSecond() * 1_000_000_000L + START.getNano())
                .setEndTimeUnixNano(START.getEpochSecond() * 1_000_000_000L + START.getNano() + 1_500_000_000L)
                .addAttributes(kv("gen_ai.operation.name", "chat")).addAttributes(kv("gen_ai.provider.name", "aws.bedrock"))
                .addAttributes(kv("gen_ai.request.model", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"))
                .addAttributes(kv("server.address", "bedrock-runtime.eu-central-1.amazonaws.com"))
                .addAttributes(kv("gen_ai.usage.input_tokens", 1200L)).addAttributes(kv("gen_ai.usage.output_tokens", 80L))
                .addAttributes(kv("gen_ai.usage.cache_read.input_tokens", 200L)).addAttributes(kv("gen_ai.response.id", "msg_1"))
                .addAttributes(kv("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"secret question\"}]}]"))
                .addAttributes(kv("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"secret answer\"}]}]"))
                .build();
        Span http = Span.newBuilder().setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(TRACE)))
                .setSpanId(ByteString.copyFrom(HexFormat.of().parseHex("1111111111111111"))).setName("GET /orders")
                .addAttributes(kv("http.request.method", "GET")).build();
        Resource resource = Resource.newBuilder().addAttributes(kv("service.name", "claims-bot"))
                .addAttributes(kv("deployment.environment.name", "prod")).addAttributes(kv("llm_audit.team", "claims"))
                .addAttributes(kv("llm_audit.data_classification", "pii")).addAttributes(kv("telemetry.sdk.name", "opentelemetry"))
                .addAttributes(kv("telemetry.sdk.version", "1.52.0")).build();
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().setResource(resource)
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(span).addSpans(http))).build().toByteArray();
    }

    /** HMAC-SHA256 with a test key, computed with the JDK: what the gateway's configured key does. */
    static String hmac(String text) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec("otlp-test-key".getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static LlmCallEvent parse(OtlpTraces.Span s, java.util.function.UnaryOperator<String> hmac) {
        var node = OtlpTraces.toCanonical(s, hmac);
        node.put("tenant", "acme");
        EventParseResult r = LlmCallEventJson.fromNode(node, EventBounds.TimeWindow.live(START.plusSeconds(60)));
        assertThat(r.errors()).isEmpty();
        return r.event();
    }

    @Test
    void aBedrockSpanInProtobufBecomesAnEventWithRegionScopeTokensAndNoContent() throws Exception {
        List<OtlpTraces.Span> spans = OtlpTraces.fromProtobuf(bedrockRequest());
        assertThat(spans).hasSize(2);
        assertThat(spans).filteredOn(OtlpTraces::isModelCall).hasSize(1);
        OtlpTraces.Span s = spans.get(0);
        LlmCallEvent e = parse(s, OtlpTracesTest::hmac);
        assertThat(e.getEventId()).isEqualTo("otel-" + TRACE + "-" + SPAN);
        assertThat(e.getEventTime()).as("when the call completed: the span's end").isEqualTo(START.plusMillis(1500));
        assertThat(e.getLatencyMs()).isEqualTo(1500L);
        assertThat(e.getCloud()).isEqualTo(Cloud.aws);
        assertThat(e.getProvider()).isEqualTo("aws.bedrock");
        assertThat(e.getRegion()).isEqualTo("eu-central-1");
        assertThat(e.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(e.getRequestModel()).isEqualTo("eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(e.getOperation()).isEqualTo(Operation.chat);
        assertThat(e.getInputTokens()).isEqualTo(1200L);
        assertThat(e.getOutputTokens()).isEqualTo(80L);
        assertThat(e.getCachedInputTokens()).isEqualTo(200L);
        assertThat(e.getRequestId()).isEqualTo("msg_1");
        assertThat(e.getTraceId()).isEqualTo(TRACE);
        assertThat(e.getSpanId()).isEqualTo(SPAN);
        assertThat(e.getApp()).isEqualTo("claims-bot");
        assertThat(e.getEnvironment()).isEqualTo("prod");
        assertThat(e.getTeam()).isEqualTo("claims");
        assertThat(e.getDataClassification()).isEqualTo("pii");
        assertThat(e.getSource()).isEqualTo("otlp:opentelemetry/1.52.0");
        assertThat(e.getStatus()).isEqualTo(CallStatus.ok);
        // Content is hashed with the gateway's key, never kept.
        assertThat(e.getPromptHash()).isEqualTo(hmac("[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"secret question\"}]}]"));
        assertThat(e.getResponseHash()).isEqualTo(hmac("[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"secret answer\"}]}]"));
        assertThat(e.toString()).doesNotContain("secret question").doesNotContain("secret answer");
        // Without a key there is no hash at all.
        assertThat(parse(s, null).getPromptHash()).isNull();
    }

    @Test
    void theJsonEncodingGivesTheSameEvent() throws Exception {
        String json = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claims-bot"}},
                   {"key":"deployment.environment.name","value":{"stringValue":"prod"}},{"key":"llm_audit.team","value":{"stringValue":"claims"}},
                   {"key":"llm_audit.data_classification","value":{"stringValue":"pii"}},
                   {"key":"telemetry.sdk.name","value":{"stringValue":"opentelemetry"}},{"key":"telemetry.sdk.version","value":{"stringValue":"1.52.0"}}]},
                  "scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"%s","spanId":"%s","name":"chat","kind":3,
                   "startTimeUnixNano":"%d","endTimeUnixNano":%d,"unknownField":true,
                   "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                    {"key":"gen_ai.provider.name","value":{"stringValue":"aws.bedrock"}},
                    {"key":"gen_ai.request.model","value":{"stringValue":"eu.anthropic.claude-sonnet-4-5-20250929-v1:0"}},
                    {"key":"server.address","value":{"stringValue":"bedrock-runtime.eu-central-1.amazonaws.com"}},
                    {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":80}},
                    {"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"200"}},{"key":"gen_ai.response.id","value":{"stringValue":"msg_1"}},
                    {"key":"gen_ai.input.messages","value":{"stringValue":"[{\\"role\\":\\"user\\",\\"parts\\":[{\\"type\\":\\"text\\",\\"content\\":\\"secret question\\"}]}]"}},
                    {"key":"gen_ai.output.messages","value":{"stringValue":"[{\\"role\\":\\"assistant\\",\\"parts\\":[{\\"type\\":\\"text\\",\\"content\\":\\"secret answer\\"}]}]"}}]}]}]}]}
                """.formatted(TRACE, SPAN, START.getEpochSecond() * 1_000_000_000L + START.getNano(),
                START.getEpochSecond() * 1_000_000_000L + START.getNano() + 1_500_000_000L);
        OtlpTraces.Span fromJson = OtlpTraces.fromJson(JSON.readTree(json)).get(0);
        OtlpTraces.Span fromProto = OtlpTraces.fromProtobuf(bedrockRequest()).get(0);
        assertThat(parse(fromJson, OtlpTracesTest::hmac)).isEqualTo(parse(fromProto, OtlpTracesTest::hmac));
    }

    static OtlpTraces.Span span(Map<String, Object> attributes) {
        return new OtlpTraces.Span(TRACE, SPAN, "", "x", START.getEpochSecond() * 1_000_000_000L, START.getEpochSecond() * 1_000_000_000L + 5_000_000L,
                false, attributes, Map.of("service.name", "app"), null);
    }

    @Test
    void olderNamesStringNumbersAndTheJavaAgentsAzureSpansAreUnderstood() {
        // gen_ai.system and prompt/completion token names (before v1.37), Spring AI's numbers as strings and "embedding".
        LlmCallEvent legacy = parse(span(Map.of("gen_ai.operation.name", "embedding", "gen_ai.system", "OpenAI", "gen_ai.request.model",
                "text-embedding-3-small", "gen_ai.usage.prompt_tokens", "123", "gen_ai.usage.completion_tokens", 0L)), null);
        assertThat(legacy.getOperation()).isEqualTo(Operation.embeddings);
        assertThat(legacy.getCloud()).isEqualTo(Cloud.openai);
        assertThat(legacy.getInputTokens()).isEqualTo(123L);
        // The Java agent reports provider "openai" against an Azure endpoint: the host decides.
        LlmCallEvent azure = parse(span(Map.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-5.5",
                "server.address", "contoso-eu.openai.azure.com", "gen_ai.usage.input_tokens", 10L, "gen_ai.usage.output_tokens", 2L)), null);
        assertThat(azure.getCloud()).isEqualTo(Cloud.azure);
        assertThat(azure.getProvider()).isEqualTo("azure.ai.openai");
        assertThat(azure.getEndpoint()).isEqualTo("contoso-eu.openai.azure.com");
        // Vertex: the region from the host; errors from error.type.
        LlmCallEvent vertex = parse(span(Map.of("gen_ai.operation.name", "generate_content", "gen_ai.provider.name", "gcp.vertex_ai",
                "gen_ai.request.model", "gemini-2.5-pro", "server.address", "europe-west4-aiplatform.googleapis.com", "error.type", "429")), null);
        assertThat(vertex.getCloud()).isEqualTo(Cloud.gcp);
        assertThat(vertex.getRegion()).isEqualTo("europe-west4");
        assertThat(vertex.getStatus()).isEqualTo(CallStatus.error);
        assertThat(vertex.getErrorType()).isEqualTo("429");
        assertThat(vertex.getInputTokens()).as("unknown, never guessed").isNull();
    }

    @Test
    void agentToolAndNonGenAiSpansAreNotCalls() {
        assertThat(OtlpTraces.isModelCall(span(Map.of("gen_ai.operation.name", "invoke_agent")))).isFalse();
        assertThat(OtlpTraces.isModelCall(span(Map.of("gen_ai.operation.name", "execute_tool")))).isFalse();
        assertThat(OtlpTraces.isModelCall(span(Map.of("http.request.method", "POST")))).isFalse();
        assertThat(OtlpTraces.isModelCall(span(Map.of("llm.request.type", "chat")))).as("OpenLLMetry's older name").isTrue();
    }

    @Test
    void aTokenCountThatIsNotANumberIsRefusedNamingTheField() {
        var node = OtlpTraces.toCanonical(span(Map.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "anthropic",
                "gen_ai.request.model", "claude-sonnet-4-5", "gen_ai.usage.input_tokens", "many")), null);
        node.put("tenant", "acme");
        EventParseResult r = LlmCallEventJson.fromNode(node, EventBounds.TimeWindow.live(START.plusSeconds(60)));
        assertThat(r.errors()).extracting(f -> f.field()).containsExactly("input_tokens");
    }

    @Test
    void jsonThatIsNotOtlpIsRefusedNamingWhere() throws Exception {
        JsonNode bad = JSON.readTree("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"yesterday\"}]}]}]}");
        assertThat(OtlpTraces.fromJson(bad).get(0).problem()).contains("resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano");
        assertThatThrownBy(() -> OtlpTraces.fromJson(JSON.readTree("[1,2]"))).hasMessageContaining("ExportTraceServiceRequest");
        assertThat(OtlpTraces.fromJson(JSON.readTree("{}"))).as("an empty request is a success").isEmpty();
        // Objects where arrays belong are refused naming the place (they once reached a NullPointerException).
        assertThatThrownBy(() -> OtlpTraces.fromJson(JSON.readTree("{\"resourceSpans\":{\"a\":1}}"))).hasMessageContaining("resourceSpans: an array");
        // A bad time refuses only its span; the export's other spans stay.
        List<OtlpTraces.Span> two = OtlpTraces.fromJson(JSON.readTree("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
                + "{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"startTimeUnixNano\":1.7e18},"
                + "{\"traceId\":\"" + TRACE.toUpperCase() + "\",\"spanId\":\"" + SPAN + "\",\"startTimeUnixNano\":\"1795687200000000000\"}]}]}]}"));
        assertThat(two.get(0).problem()).contains("startTimeUnixNano");
        assertThat(two.get(1).problem()).as("upper-case hex ids are valid OTLP JSON").isNull();
        assertThat(two.get(1).traceId()).isEqualTo(TRACE);
    }

    @Test
    void idsMustBeHexAndNotZero() {
        var noIds = new OtlpTraces.Span("", "", "", "chat", 1, 2, false, Map.of(), Map.of(), null);
        assertThat(noIds.problem()).contains("traceId");
        var zero = new OtlpTraces.Span(TRACE, "0000000000000000", "", "chat", 1, 2, false, Map.of(), Map.of(), null);
        assertThat(zero.problem()).contains("spanId");
    }

    @Test
    void spansAreCountedWithoutBeingBuilt() throws Exception {
        assertThat(OtlpTraces.countSpans(bedrockRequest(), true)).isEqualTo(2);
        // 100,000 empty spans: 2 bytes each on the wire.
        var many = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder()
                .addAllSpans(java.util.Collections.nCopies(100_000, Span.getDefaultInstance())))).build().toByteArray();
        assertThat(OtlpTraces.countSpans(many, true)).isEqualTo(100_000);
        assertThat(OtlpTraces.countSpans(("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{},{\"attributes\":[{\"key\":\"spans\"}]},{}]},"
                + "{\"spans\":[{}]}]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8), false)).isEqualTo(4);
        assertThatThrownBy(() -> OtlpTraces.countSpans(new byte[] {(byte) 0x0a, (byte) 0xff}, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aModelCallSpanAroundAnotherIsNotCountedTwice() {
        var framework = new OtlpTraces.Span(TRACE, "aaaaaaaaaaaaaaaa", "", "chat", 1, 2, false, Map.of("gen_ai.operation.name", "chat"), Map.of(), null);
        var sdk = new OtlpTraces.Span(TRACE, "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", "chat", 1, 2, false, Map.of("gen_ai.operation.name", "chat"),
                Map.of(), null);
        var tool = new OtlpTraces.Span(TRACE, "cccccccccccccccc", "aaaaaaaaaaaaaaaa", "tool", 1, 2, false,
                Map.of("gen_ai.operation.name", "execute_tool"), Map.of(), null);
        assertThat(OtlpTraces.wrappers(List.of(framework, sdk, tool))).containsExactly(TRACE + "/aaaaaaaaaaaaaaaa");
        assertThat(OtlpTraces.wrappers(List.of(framework, tool))).as("a tool span is not a call").isEmpty();
    }

    @Test
    void theHostDecidesWhereTheCallWent() {
        // The OpenAI API on a server that is not OpenAI's: not priced as OpenAI.
        assertThat(OtlpTraces.provider("openai", "localhost").cloud()).isEqualTo("other");
        assertThat(OtlpTraces.provider("openai", "api.groq.com").cloud()).isEqualTo("other");
        assertThat(OtlpTraces.provider("openai", null).cloud()).isEqualTo("openai");
        // The OpenAI SDK against Bedrock's OpenAI-compatible endpoint: Bedrock.
        assertThat(OtlpTraces.provider("openai", "bedrock-runtime.us-west-2.amazonaws.com").provider()).isEqualTo("aws.bedrock");
        assertThat(OtlpTraces.provider("openai", "contoso.openai.azure.us").cloud()).isEqualTo("azure");
        assertThat(OtlpTraces.provider("gcp.gen_ai", "generativelanguage.googleapis.com").provider()).isEqualTo("gcp.gemini");
        assertThat(OtlpTraces.provider("gcp.gen_ai", null).provider()).isEqualTo("gcp.gen_ai");
    }

    @Test
    void cacheReadsAboveTheInputAreAddedBackAsTheConventionsCountThem() {
        LlmCallEvent e = parse(span(Map.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "anthropic", "gen_ai.request.model",
                "claude-sonnet-4-5", "gen_ai.usage.input_tokens", 20L, "gen_ai.usage.cache_read.input_tokens", 5000L,
                "gen_ai.usage.cache_creation.input_tokens", 300L, "gen_ai.usage.output_tokens", 10L)), null);
        assertThat(e.getInputTokens()).isEqualTo(5320L);
        assertThat(e.getCachedInputTokens()).isEqualTo(5000L);
        LlmCallEvent normalised = parse(span(Map.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "anthropic", "gen_ai.request.model",
                "claude-sonnet-4-5", "gen_ai.usage.input_tokens", 5320L, "gen_ai.usage.cache_read.input_tokens", 5000L)), null);
        assertThat(normalised.getInputTokens()).as("already counted as the conventions say").isEqualTo(5320L);
    }

    @Test
    void errorStatusMakesAnErrorCall() {
        var s = new OtlpTraces.Span(TRACE, SPAN, "", "chat", START.getEpochSecond() * 1_000_000_000L, 0, true,
                Map.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-5.5"), Map.of(), null);
        LlmCallEvent e = parse(s, null);
        assertThat(e.getStatus()).isEqualTo(CallStatus.error);
        assertThat(e.getErrorType()).isEqualTo("error");
        assertThat(e.getLatencyMs()).as("no end time, no latency").isNull();
        assertThat(Status.StatusCode.STATUS_CODE_ERROR.getNumber()).isEqualTo(2);
    }
}
