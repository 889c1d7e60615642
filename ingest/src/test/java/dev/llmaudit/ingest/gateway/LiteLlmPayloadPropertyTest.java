package dev.llmaudit.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.FieldError;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Random and mutated LiteLLM {@code StandardLoggingPayload}s through the mapping and the canonical
 * validation, as the gateway runs them: a valid event or bounded field errors, never another
 * exception, never digits expanded from an absurd exponent (a response_cost of 1e999999999 is a
 * short number and a billion digits).
 */
class LiteLlmPayloadPropertyTest {
    static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    static final EventBounds.TimeWindow WINDOW = new EventBounds.TimeWindow(Instant.parse("2026-12-01T12:00:00Z"),
            EventBounds.DEFAULT_FUTURE_SKEW, java.time.Duration.ofDays(3650));

    static ObjectNode base() {
        ObjectNode p = JSON.objectNode();
        p.put("id", "ll-1").put("call_type", "acompletion").put("status", "success").put("response_cost", new BigDecimal("0.000123450000000001"))
                .put("prompt_tokens", 1200).put("completion_tokens", 80).put("startTime", new BigDecimal("1795687200.25"))
                .put("endTime", new BigDecimal("1795687201.5")).put("completionStartTime", new BigDecimal("1795687200.75")).put("stream", true)
                .put("model", "bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
                .put("api_base", "https://bedrock-runtime.eu-central-1.amazonaws.com").put("end_user", "user-42")
                .put("trace_id", "3f2a1c4e-5b6d-4e8f-9a0b-1c2d3e4f5a6b");
        ObjectNode meta = p.putObject("metadata");
        meta.put("user_api_key_team_alias", "claims");
        meta.putObject("requester_metadata").put("data_classification", "pii").put("data_residency", "eu");
        p.putArray("request_tags").add("cost_center:CC-7").add("beta");
        p.putArray("messages").addObject().put("role", "user").put("content", "private");
        return p;
    }

    static Arbitrary<JsonNode> values() {
        Arbitrary<JsonNode> strings = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(200),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(250).ofMaxLength(70_000),
                Arbitraries.of("azure/eu/gpt-5.5", "vertex_ai/gemini-2.5-flash", "gemini/gemini-2.5-pro", "anthropic/claude-x", "openai/gpt-5.5",
                        "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "http://[::1", "https://x.azure.com", "failure", "999",
                        "1e999999999", "")).map(JSON::textNode);
        Arbitrary<JsonNode> numbers = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.bigIntegers().between(BigInteger.valueOf(-10), BigInteger.TEN.pow(25)),
                        Arbitraries.integers().between(-1_000_000_000, 1_000_000_000)).as((u, s) -> (JsonNode) JSON.numberNode(new BigDecimal(u, s))),
                Arbitraries.longs().map(l -> (JsonNode) JSON.numberNode(l)),
                Arbitraries.bigIntegers().between(BigInteger.ZERO, BigInteger.TEN.pow(60)).map(b -> (JsonNode) JSON.numberNode(b)));
        Arbitrary<JsonNode> tags = Arbitraries.integers().between(0, 3000).map(n -> {
            ArrayNode a = JSON.arrayNode();
            for (int i = 0; i < n; i++) {
                a.add("k" + i + ":v");
            }
            return a;
        });
        Arbitrary<JsonNode> nested = Arbitraries.integers().between(1, 90).map(depth -> {
            JsonNode n = JSON.numberNode(1);
            for (int i = 0; i < depth; i++) {
                ObjectNode o = JSON.objectNode();
                o.set("x", n);
                n = o;
            }
            return n;
        });
        return Arbitraries.oneOf(strings, numbers, tags, nested, Arbitraries.of(JSON.nullNode(), JSON.booleanNode(false), JSON.arrayNode()));
    }

    record Mutation(String field, JsonNode value, boolean remove) {}

    /** Stands in for the gateway's HMAC: 64 hex digits of the text. */
    static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Provide
    Arbitrary<JsonNode> payloads() {
        Arbitrary<String> fields = Arbitraries.of("id", "call_type", "status", "response_cost", "prompt_tokens", "completion_tokens", "startTime",
                "endTime", "completionStartTime", "stream", "model", "api_base", "end_user", "trace_id", "request_tags", "metadata", "messages",
                "response", "error_information", "hidden_params");
        return Combinators.combine(fields, values(), Arbitraries.of(true, false, false)).as(Mutation::new).list().ofMinSize(0).ofMaxSize(3)
                .map(ms -> {
                    ObjectNode p = base();
                    for (Mutation m : ms) {
                        if (m.remove() && !m.field().equals("id") && !m.field().equals("call_type")) {
                            p.remove(m.field());
                        } else {
                            p.set(m.field(), m.value());
                        }
                    }
                    return p;
                });
    }

    @net.jqwik.api.Example
    void theUnmutatedPayloadIsValid() {
        EventParseResult r = LlmCallEventJson.fromNode(LiteLlmPayload.toCanonical(base(), LiteLlmPayloadPropertyTest::sha256), WINDOW);
        assertThat(r.errors()).isEmpty();
    }

    @Property(tries = 400)
    void mutatedPayloadsGiveAValidEventOrBoundedFieldErrors(@ForAll("payloads") JsonNode payload) {
        ObjectNode canonical = LiteLlmPayload.toCanonical(payload, LiteLlmPayloadPropertyTest::sha256);
        assertThat(canonical.toString().length()).as("the mapped event is bounded by what was sent").isLessThan(2 * payload.toString().length() + 2_000);
        EventParseResult r = LlmCallEventJson.fromNode(canonical, WINDOW);
        if (r.isValid()) {
            assertThat(EventBounds.check(r.event(), WINDOW)).isEmpty();
            assertThat(r.event().toString()).doesNotContain("private");
        } else {
            List<FieldError> errors = r.errors();
            assertThat(errors).isNotEmpty().hasSizeLessThanOrEqualTo(EventBounds.MAX_ERRORS_PER_EVENT + 1);
            errors.forEach(e -> assertThat(e.message().length() + e.field().length()).as(e.field()).isLessThanOrEqualTo(900));
        }
        Statistics.label("outcome").collect(r.isValid() ? "valid" : "rejected");
        Statistics.label("outcome").coverage(c -> {
            c.check("valid").count((Integer n) -> n >= 20);
            c.check("rejected").count((Integer n) -> n >= 30);
        });
    }
}
