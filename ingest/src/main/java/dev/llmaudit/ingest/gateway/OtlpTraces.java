package dev.llmaudit.ingest.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * OTLP/HTTP trace export requests ({@code POST /v1/traces}, protobuf or JSON) turned into llm-audit's
 * canonical events: one per GenAI inference span, following the OpenTelemetry GenAI semantic
 * conventions and the older names emitters still send. Other spans (HTTP, database, agent and tool
 * spans) are counted and ignored. Message content ({@code gen_ai.input.messages} and the rest) never
 * leaves this class: it is hashed with the gateway's HMAC key when one is set, and dropped otherwise.
 */
final class OtlpTraces {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private OtlpTraces() {}

    /** A span as both encodings give it: ids in hex, attribute values as String, Long, Double, Boolean or their text. */
    record Span(String traceId, String spanId, String parentSpanId, String name, long startNanos, long endNanos, boolean errorStatus,
                Map<String, Object> attributes, Map<String, Object> resource, String timeProblem) {

        /** Why this span cannot become an event even if it is a model call: bad ids or times; null when none. */
        public String problem() {
            if (timeProblem != null) {
                return timeProblem;
            }
            if (!traceId.matches("[0-9a-f]{32}") || traceId.matches("0{32}")) {
                return "traceId: 32 hex digits, not all zero, expected, got \"" + dev.llmaudit.schemas.EventBounds.excerpt(traceId) + "\"";
            }
            if (!spanId.matches("[0-9a-f]{16}") || spanId.matches("0{16}")) {
                return "spanId: 16 hex digits, not all zero, expected, got \"" + dev.llmaudit.schemas.EventBounds.excerpt(spanId) + "\"";
            }
            return null;
        }
    }

    // ------------------------------------------------------------------ decoding

    static List<Span> fromProtobuf(byte[] body) throws InvalidProtocolBufferException {
        ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
        List<Span> out = new ArrayList<>();
        for (ResourceSpans rs : request.getResourceSpansList()) {
            Map<String, Object> resource = attributes(rs.hasResource() ? rs.getResource() : Resource.getDefaultInstance());
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
                    // fixed64 nanoseconds beyond a long come out negative: a bad time, refused with the span.
                    String problem = s.getStartTimeUnixNano() < 0 || s.getEndTimeUnixNano() < 0 ? "startTimeUnixNano/endTimeUnixNano: out of range" : null;
                    out.add(new Span(HexFormat.of().formatHex(s.getTraceId().toByteArray()), HexFormat.of().formatHex(s.getSpanId().toByteArray()),
                            HexFormat.of().formatHex(s.getParentSpanId().toByteArray()), s.getName(), Math.max(0, s.getStartTimeUnixNano()),
                            Math.max(0, s.getEndTimeUnixNano()),
                            s.hasStatus() && s.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR,
                            attributes(s.getAttributesList()), resource, problem));
                }
            }
        }
        return out;
    }

    private static Map<String, Object> attributes(Resource r) {
        return attributes(r.getAttributesList());
    }

    private static Map<String, Object> attributes(List<KeyValue> kvs) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (KeyValue kv : kvs) {
            out.put(kv.getKey(), value(kv.getValue()));
        }
        return out;
    }

    private static Object value(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> v.getBoolValue();
            case INT_VALUE -> v.getIntValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            // Arrays, key-value lists and bytes: kept as their text (only ever hashed or ignored).
            default -> v.toString();
        };
    }

    /**
     * The OTLP JSON encoding: lowerCamelCase keys, hex ids, enums as integers, int64 as strings or numbers.
     *
     * @throws IllegalArgumentException naming the path of the first part that is not OTLP JSON
     */
    static List<Span> fromJson(JsonNode root) {
        if (!root.isObject()) {
            throw new IllegalArgumentException("$: an ExportTraceServiceRequest object is expected, got " + root.getNodeType());
        }
        List<Span> out = new ArrayList<>();
        JsonNode resourceSpans = array(root.path("resourceSpans"), "resourceSpans");
        for (int i = 0; i < resourceSpans.size(); i++) {
            JsonNode rs = resourceSpans.get(i);
            Map<String, Object> resource = attributes(rs.path("resource").path("attributes"), "resourceSpans[" + i + "].resource.attributes");
            JsonNode scopeSpans = array(rs.path("scopeSpans"), "resourceSpans[" + i + "].scopeSpans");
            for (int j = 0; j < scopeSpans.size(); j++) {
                String spansPath = "resourceSpans[" + i + "].scopeSpans[" + j + "].spans";
                JsonNode spans = array(scopeSpans.get(j).path("spans"), spansPath);
                for (int k = 0; k < spans.size(); k++) {
                    JsonNode s = spans.get(k);
                    String path = spansPath + "[" + k + "]";
                    if (!s.isObject()) {
                        throw new IllegalArgumentException(path + ": a span object is expected");
                    }
                    // A bad time refuses this span only; the export's other spans still count.
                    String problem = null;
                    long start = 0;
                    long end = 0;
                    try {
                        start = nanos(s.path("startTimeUnixNano"), path + ".startTimeUnixNano");
                        end = nanos(s.path("endTimeUnixNano"), path + ".endTimeUnixNano");
                    } catch (IllegalArgumentException e) {
                        problem = e.getMessage();
                    }
                    JsonNode code = s.path("status").path("code");
                    boolean error = code.asInt(0) == 2 || "STATUS_CODE_ERROR".equals(code.asText());
                    out.add(new Span(s.path("traceId").asText("").toLowerCase(java.util.Locale.ROOT),
                            s.path("spanId").asText("").toLowerCase(java.util.Locale.ROOT),
                            s.path("parentSpanId").asText("").toLowerCase(java.util.Locale.ROOT), s.path("name").asText(""), start, end, error,
                            attributes(s.path("attributes"), path + ".attributes"), resource, problem));
                }
            }
        }
        return out;
    }

    /** The node as an array (missing = empty); anything else is refused naming the path. */
    private static JsonNode array(JsonNode n, String path) {
        if (n.isMissingNode() || n.isNull()) {
            return JSON.arrayNode();
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException(path + ": an array is expected, got " + n.getNodeType());
        }
        return n;
    }

    private static long nanos(JsonNode n, String path) {
        if (n.isMissingNode() || n.isNull()) {
            return 0;
        }
        if (n.isIntegralNumber() && n.canConvertToLong() && n.asLong() >= 0) {
            return n.asLong();
        }
        if (n.isTextual() && n.asText().matches("\\d{1,19}")) {
            try {
                return Long.parseLong(n.asText());
            } catch (NumberFormatException e) {
                // beyond a long: reported below
            }
        }
        throw new IllegalArgumentException(path + ": nanoseconds since the epoch expected, got " + dev.llmaudit.schemas.EventBounds.excerpt(n.toString()));
    }

    private static Map<String, Object> attributes(JsonNode list, String path) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (list.isMissingNode() || list.isNull()) {
            return out;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(path + ": a list of {key, value} is expected");
        }
        for (JsonNode kv : list) {
            JsonNode v = kv.path("value");
            Object value;
            if (v.has("stringValue")) {
                value = v.get("stringValue").asText();
            } else if (v.has("boolValue")) {
                value = v.get("boolValue").asBoolean();
            } else if (v.has("intValue")) {
                JsonNode i = v.get("intValue");
                value = i.canConvertToLong() && (i.isIntegralNumber() || i.asText().matches("-?\\d{1,19}")) ? (Object) i.asLong() : i.asText();
            } else if (v.has("doubleValue")) {
                value = v.get("doubleValue").asDouble();
            } else {
                value = v.toString();
            }
            out.put(kv.path("key").asText(""), value);
        }
        return out;
    }

    /**
     * The number of spans in a request, counted without building them (a 2-byte empty span would cost a few
     * hundred bytes of heap each: a small gzip body could otherwise exhaust the gateway's memory).
     *
     * @throws IllegalArgumentException when the body is not an ExportTraceServiceRequest
     */
    static long countSpans(byte[] body, boolean protobuf) {
        try {
            if (protobuf) {
                return countProtobuf(com.google.protobuf.CodedInputStream.newInstance(body), 0);
            }
            try (com.fasterxml.jackson.core.JsonParser p = dev.llmaudit.schemas.json.LlmCallEventJson.mapper().createParser(body)) {
                long n = 0;
                String field = null;
                int depth = 0;
                int spansDepth = -1;
                for (com.fasterxml.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                    switch (t) {
                        case FIELD_NAME -> field = p.currentName();
                        case START_ARRAY -> {
                            depth++;
                            if ("spans".equals(field) && spansDepth < 0) {
                                spansDepth = depth;
                            }
                            field = null;
                        }
                        case END_ARRAY -> {
                            if (depth == spansDepth) {
                                spansDepth = -1;
                            }
                            depth--;
                        }
                        case START_OBJECT -> {
                            if (depth == spansDepth) {
                                n++;
                                p.skipChildren();
                            } else {
                                depth++;
                            }
                            field = null;
                        }
                        case END_OBJECT -> depth--;
                        default -> field = null;
                    }
                }
                return n;
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Spans in an ExportTraceServiceRequest (level 0: field 1), ResourceSpans (1: field 2), ScopeSpans (2: field 2). */
    private static long countProtobuf(com.google.protobuf.CodedInputStream in, int level) throws java.io.IOException {
        long n = 0;
        int wanted = level == 0 ? 1 : 2;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (com.google.protobuf.WireFormat.getTagFieldNumber(tag) == wanted
                    && com.google.protobuf.WireFormat.getTagWireType(tag) == com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int length = in.readRawVarint32();
                if (level == 2) {
                    in.skipRawBytes(length);
                    n++;
                } else {
                    int old = in.pushLimit(length);
                    n += countProtobuf(in, level + 1);
                    in.popLimit(old);
                }
            } else if (!in.skipField(tag)) {
                break;
            }
        }
        return n;
    }

    /**
     * The model-call spans that are calls themselves: a model-call span whose child in the same request is a
     * model-call span too (a framework's span around the SDK's, or a gateway's around the provider's) wraps
     * the same call and would count it twice.
     */
    static java.util.Set<String> wrappers(List<Span> spans) {
        java.util.Set<String> parents = new java.util.HashSet<>();
        for (Span s : spans) {
            if (isModelCall(s) && !s.parentSpanId().isEmpty()) {
                parents.add(s.traceId() + "/" + s.parentSpanId());
            }
        }
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Span s : spans) {
            if (isModelCall(s) && parents.contains(s.traceId() + "/" + s.spanId())) {
                out.add(s.traceId() + "/" + s.spanId());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ mapping

    /** Operations of a model call; agent, tool, workflow and retrieval spans wrap calls and are not calls themselves. */
    private static final Map<String, String> OPERATIONS = Map.ofEntries(
            Map.entry("chat", "chat"), Map.entry("text_completion", "text_completion"), Map.entry("completion", "text_completion"),
            Map.entry("generate_content", "generate_content"), Map.entry("embeddings", "embeddings"), Map.entry("embedding", "embeddings"),
            Map.entry("responses", "responses"));

    /** True for a span of a model call (chat, completion, embeddings, generate_content), by its operation name. */
    static boolean isModelCall(Span s) {
        String op = operationName(s);
        return op != null && OPERATIONS.containsKey(op);
    }

    private static String operationName(Span s) {
        String op = text(s.attributes(), "gen_ai.operation.name", "llm.request.type");
        return op == null ? null : op.toLowerCase(Locale.ROOT);
    }

    /**
     * The canonical event of a model-call span (see {@link #isModelCall}). Values are passed through as
     * sent where they could be wrong (a token count that is not a number), so the canonical parser names
     * the field in its error.
     */
    static ObjectNode toCanonical(Span s, UnaryOperator<String> hmac) {
        Map<String, Object> a = s.attributes();
        Map<String, Object> r = s.resource();
        ObjectNode e = JSON.objectNode();
        e.put("event_id", "otel-" + s.traceId() + "-" + s.spanId());
        // The event's time is when the call completed or failed (the span's end), as for every other source; a
        // span without an end gives its start.
        long at = s.endNanos() > 0 && s.endNanos() >= s.startNanos() ? s.endNanos() : s.startNanos();
        if (at > 0) {
            e.put("event_time", Instant.ofEpochSecond(at / 1_000_000_000L, at % 1_000_000_000L).toString());
        }
        if (s.startNanos() > 0 && s.endNanos() >= s.startNanos()) {
            e.put("latency_ms", (s.endNanos() - s.startNanos()) / 1_000_000L);
        }
        e.put("operation", OPERATIONS.get(operationName(s)));
        String host = text(a, "server.address");
        Provider p = provider(text(a, "gen_ai.provider.name", "gen_ai.system"), host);
        e.put("provider", p.provider());
        e.put("cloud", p.cloud());
        String model = text(a, "gen_ai.request.model", "gen_ai.response.model");
        // The host and the model id say the region and the deployment scope, as for LiteLLM's payloads.
        LiteLlmPayload.Route route = LiteLlmPayload.route(p.routePrefix() + (model == null ? "" : model), host == null ? null : "https://" + host);
        putText(e, "request_model", model == null ? null : route.model() != null ? route.model() : model);
        putText(e, "response_model", text(a, "gen_ai.response.model"));
        String region = text(a, "cloud.region", "llm_audit.region");
        putText(e, "region", region != null ? region : route.region());
        putText(e, "deployment_scope", text(a, "llm_audit.deployment_scope") != null ? text(a, "llm_audit.deployment_scope") : route.scope());
        putText(e, "endpoint", host);
        number(e, "input_tokens", a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens", "input_tokens");
        number(e, "output_tokens", a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.usage.completion_tokens", "output_tokens");
        number(e, "cached_input_tokens", a, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens");
        // The conventions count cache reads (and writes) inside input_tokens; some emitters pass Anthropic's own
        // numbers, where input excludes them. Cache reads above the input prove it: add them back, with cache writes.
        if (e.path("input_tokens").isIntegralNumber() && e.path("cached_input_tokens").isIntegralNumber()
                && e.get("cached_input_tokens").asLong() > e.get("input_tokens").asLong()) {
            Object writes = first(a, "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens",
                    "gen_ai.usage.cache_creation_input_tokens");
            long w = writes instanceof Long l ? l : writes instanceof String t && t.matches("\\d{1,18}") ? Long.parseLong(t) : 0;
            e.put("input_tokens", e.get("input_tokens").asLong() + e.get("cached_input_tokens").asLong() + w);
        }
        number(e, "reasoning_tokens", a, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens");
        Object ttft = first(a, "gen_ai.response.time_to_first_chunk");
        if (ttft instanceof Number n) {
            e.put("time_to_first_token_ms", Math.round(n.doubleValue() * 1000));
        }
        Object stream = first(a, "gen_ai.request.stream", "llm.is_streaming");
        if (stream instanceof Boolean b) {
            e.put("streaming", b);
        }
        String errorType = text(a, "error.type");
        if (s.errorStatus() || errorType != null) {
            e.put("status", "error");
            e.put("error_type", errorType != null ? errorType : "error");
        } else {
            e.put("status", "ok");
        }
        number(e, "http_status", a, "http.response.status_code");
        putText(e, "request_id", text(a, "gen_ai.response.id"));
        putText(e, "trace_id", s.traceId().isEmpty() ? null : s.traceId());
        putText(e, "span_id", s.spanId().isEmpty() ? null : s.spanId());
        // Who called: the resource (the app's service), with span attributes winning where both say.
        putText(e, "tenant", first(text(a, "llm_audit.tenant"), text(r, "llm_audit.tenant")));
        putText(e, "team", first(text(a, "llm_audit.team"), text(r, "llm_audit.team")));
        putText(e, "app", first(text(a, "llm_audit.app"), text(r, "llm_audit.app", "service.name")));
        putText(e, "environment", first(text(a, "llm_audit.environment"), text(r, "llm_audit.environment", "deployment.environment.name",
                "deployment.environment")));
        putText(e, "data_classification", first(text(a, "llm_audit.data_classification"), text(r, "llm_audit.data_classification")));
        putText(e, "data_residency", first(text(a, "llm_audit.data_residency"), text(r, "llm_audit.data_residency")));
        String sdk = text(r, "telemetry.sdk.name");
        String version = text(r, "telemetry.sdk.version");
        e.put("source", "otlp" + (sdk == null ? "" : ":" + sdk + (version == null ? "" : "/" + version)));
        if (hmac != null) {
            String in = text(a, "gen_ai.input.messages", "gen_ai.prompt");
            String out = text(a, "gen_ai.output.messages", "gen_ai.completion");
            putText(e, "prompt_hash", in == null ? null : hmac.apply(in));
            putText(e, "response_hash", out == null ? null : hmac.apply(out));
        }
        // Nothing else is copied: content (gen_ai.input.messages, .output.messages, .system_instructions,
        // tool arguments and results, the legacy gen_ai.prompt.* and gen_ai.completion.*) only as a hash above.
        return e;
    }

    /** Provider name (conventions' spelling), cloud, and the LiteLLM-style prefix that routes host and model id. */
    record Provider(String provider, String cloud, String routePrefix) {}

    static Provider provider(String name, String host) {
        String n = name == null ? "" : name.toLowerCase(Locale.ROOT).replace(' ', '_');
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        // A known host decides: it is where the call went, whatever the instrumentation calls the API it used
        // (the OpenTelemetry Java agent says "openai" for Azure; the OpenAI SDK also reaches Bedrock's endpoint).
        if (h.matches("bedrock-runtime(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com")) {
            return new Provider("aws.bedrock", "aws", "bedrock/");
        }
        if (h.endsWith(".azure.com") || h.endsWith(".azure.us") || h.endsWith(".azure.cn")) {
            boolean inference = Set.of("azure.ai.inference", "az.ai.inference").contains(n) || h.endsWith(".models.ai.azure.com");
            return inference ? new Provider("azure.ai.inference", "azure", "azure_ai/") : new Provider("azure.ai.openai", "azure", "azure/");
        }
        if (h.endsWith("aiplatform.googleapis.com")) {
            return new Provider("gcp.vertex_ai", "gcp", "vertex_ai/");
        }
        if (h.equals("generativelanguage.googleapis.com")) {
            return new Provider("gcp.gemini", "gcp", "gemini/");
        }
        if (h.equals("api.anthropic.com")) {
            return new Provider("anthropic", "anthropic", "anthropic/");
        }
        if (h.equals("api.openai.com") || h.endsWith(".api.openai.com")) {
            return new Provider("openai", "openai", "openai/");
        }
        boolean unknownHost = !h.isEmpty();
        if (Set.of("azure.ai.openai", "az.ai.openai", "azure_open_ai", "azure_openai", "azure").contains(n)) {
            return new Provider("azure.ai.openai", "azure", "azure/");
        }
        if (Set.of("azure.ai.inference", "az.ai.inference").contains(n)) {
            return new Provider("azure.ai.inference", "azure", "azure_ai/");
        }
        if (Set.of("aws.bedrock", "bedrock", "aws", "amazon_bedrock", "bedrock_converse", "aws_bedrock").contains(n)) {
            return new Provider("aws.bedrock", "aws", "bedrock/");
        }
        if (Set.of("gcp.vertex_ai", "vertex_ai", "vertexai", "google_vertex_ai").contains(n)) {
            return new Provider("gcp.vertex_ai", "gcp", "vertex_ai/");
        }
        if (Set.of("gcp.gemini", "gemini", "google_genai", "google_gemini").contains(n)) {
            return new Provider("gcp.gemini", "gcp", "gemini/");
        }
        if (Set.of("gcp.gen_ai", "google").contains(n)) {
            // The conventions' name when the backend (Gemini API or Vertex AI) is not known: Google, but no route.
            return new Provider("gcp.gen_ai", "gcp", "");
        }
        if (n.equals("anthropic")) {
            return new Provider("anthropic", "anthropic", "anthropic/");
        }
        if (Set.of("openai", "open_ai").contains(n)) {
            // The OpenAI API at a host that is not OpenAI's (vLLM, Ollama, Groq, OpenRouter, ...): an
            // OpenAI-compatible server, never priced as OpenAI itself.
            return unknownHost ? new Provider("openai", "other", "") : new Provider("openai", "openai", "openai/");
        }
        return new Provider(n.isEmpty() ? null : n, "other", "");
    }

    private static Object first(Map<String, Object> a, String... keys) {
        for (String k : keys) {
            Object v = a.get(k);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static String first(String a, String b) {
        return a != null ? a : b;
    }

    private static String text(Map<String, Object> a, String... keys) {
        Object v = first(a, keys);
        if (v == null) {
            return null;
        }
        String t = v.toString();
        return t.isBlank() ? null : t;
    }

    private static void putText(ObjectNode e, String field, String value) {
        if (value != null) {
            e.put(field, value);
        }
    }

    /** Numbers as numbers; numeric strings (Spring AI sends "123") as numbers; anything else as sent, for the parser to name. */
    private static void number(ObjectNode e, String field, Map<String, Object> a, String... keys) {
        Object v = first(a, keys);
        if (v instanceof Long l) {
            e.put(field, l);
        } else if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            e.put(field, d.longValue());
        } else if (v instanceof String s && s.matches("\\d{1,18}")) {
            e.put(field, Long.parseLong(s));
        } else if (v != null) {
            e.put(field, v.toString());
        }
    }
}
