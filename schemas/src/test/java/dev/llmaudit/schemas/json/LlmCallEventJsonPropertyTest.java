package dev.llmaudit.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.schemas.EventBounds;
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

/**
 * Random and mutated input to the canonical JSON mapper: every outcome is either a valid event
 * inside the contract's bounds, or a bounded list of field errors. Never another exception, never an
 * unbounded answer. (The same generators drive the LiteLLM mapping's properties in the ingest module.)
 */
class LlmCallEventJsonPropertyTest {
    static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final EventBounds.TimeWindow WINDOW = EventBounds.TimeWindow.live(NOW);

    /** A valid event to start mutating from. */
    static ObjectNode base() {
        ObjectNode o = JSON.objectNode();
        o.put("event_id", "e-1").put("event_time", "2026-12-01T11:00:00Z").put("tenant", "acme").put("cloud", "azure")
                .put("region", "swedencentral").put("deployment_scope", "data_zone").put("request_model", "gpt-5.5")
                .put("input_tokens", 1000).put("output_tokens", 200).put("cached_input_tokens", 10).put("reasoning_tokens", 5);
        o.putObject("reported_cost").put("amount", "0.0123").put("currency", "USD");
        o.putObject("tags").put("project", "claims");
        return o;
    }

    /** Hostile JSON values: huge or odd strings, numbers with absurd exponents, deep nesting, wrong types. */
    static Arbitrary<JsonNode> values() {
        Arbitrary<JsonNode> strings = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(300),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(250).ofMaxLength(70_000),
                Arbitraries.strings().all().ofMaxLength(50),
                Arbitraries.of("1e-20000000", "1e999999999", "-0", "NaN", "Infinity", "0x10", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
                        "2100-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "12345678901234567890123456.5", "", " ", "\u0000")
        ).map(JSON::textNode);
        Arbitrary<JsonNode> integers = Arbitraries.oneOf(
                Arbitraries.longs().map(l -> (JsonNode) JSON.numberNode(l)),
                Arbitraries.bigIntegers().between(BigInteger.TEN.pow(18).negate(), BigInteger.TEN.pow(60)).map(b -> (JsonNode) JSON.numberNode(b)),
                Arbitraries.of(0L, 1L, -1L, 1_000_000_000L, 1_000_000_001L, 4_503_599_627_370_496L, Long.MAX_VALUE).map(l -> (JsonNode) JSON.numberNode(l)));
        Arbitrary<JsonNode> decimals = Combinators.combine(Arbitraries.bigIntegers().between(BigInteger.valueOf(-1000), BigInteger.TEN.pow(30)),
                Arbitraries.integers().between(-1_000_000_000, 1_000_000_000)).as((u, scale) -> (JsonNode) JSON.numberNode(new BigDecimal(u, scale)));
        Arbitrary<JsonNode> nested = Arbitraries.integers().between(1, 150).map(depth -> {
            JsonNode n = JSON.textNode("x");
            for (int i = 0; i < depth; i++) {
                ArrayNode a = JSON.arrayNode();
                a.add(n);
                n = a;
            }
            return n;
        });
        Arbitrary<JsonNode> manyTags = Arbitraries.integers().between(60, 3000).map(n -> {
            ObjectNode t = JSON.objectNode();
            for (int i = 0; i < n; i++) {
                t.put("k" + i, "v");
            }
            return t;
        });
        Arbitrary<JsonNode> money = Combinators.combine(Arbitraries.oneOf(decimals, strings), Arbitraries.of("USD", "usd", "EURO", ""))
                .as((amount, currency) -> {
                    ObjectNode m = JSON.objectNode();
                    m.set("amount", amount);
                    m.put("currency", currency);
                    return m;
                });
        return Arbitraries.oneOf(strings, integers, decimals, nested, manyTags, money,
                Arbitraries.of(JSON.nullNode(), JSON.booleanNode(true), JSON.objectNode(), JSON.arrayNode()));
    }

    /** Field names: the contract's and a few strangers (typos, long, empty). */
    static Arbitrary<String> fields() {
        return Arbitraries.oneOf(Arbitraries.of(LlmCallEventJson.FIELDS),
                Arbitraries.of("data_residncy", "", "x".repeat(5000), "reported_cost", "tags"),
                Arbitraries.strings().ofMaxLength(20));
    }

    @Provide
    Arbitrary<JsonNode> mutatedEvents() {
        Arbitrary<Mutation> one = Combinators.combine(fields(), values(), Arbitraries.of(true, false)).as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(4).map(ms -> {
            ObjectNode o = base();
            for (Mutation m : ms) {
                if (m.remove()) {
                    o.remove(m.field());
                } else {
                    o.set(m.field(), m.value());
                }
            }
            return o;
        });
    }

    record Mutation(String field, JsonNode value, boolean remove) {}

    @Property(tries = 400)
    void mutatedEventsGiveAValidEventOrBoundedFieldErrors(@ForAll("mutatedEvents") JsonNode node) {
        EventParseResult r = LlmCallEventJson.fromNode(node, WINDOW);
        assertBounded(r);
        net.jqwik.api.statistics.Statistics.label("outcome").collect(r.isValid() ? "valid" : "rejected");
        // Both outcomes must actually be exercised, or the property checks nothing.
        net.jqwik.api.statistics.Statistics.label("outcome").coverage(c -> {
            c.check("valid").count((Integer n) -> n >= 10);
            c.check("rejected").count((Integer n) -> n >= 100);
        });
    }

    @Provide
    Arbitrary<String> brokenText() {
        return Combinators.combine(mutatedEvents(), Arbitraries.integers().between(0, 10_000), Arbitraries.strings().ofMaxLength(5))
                .as((node, cut, insert) -> {
                    String text = node.toString();
                    int at = Math.min(cut, text.length());
                    return text.substring(0, at) + insert + text.substring(Math.min(text.length(), at + 1));
                });
    }

    @Property(tries = 300)
    void brokenTextGivesAValidEventOrBoundedErrors(@ForAll("brokenText") String text) {
        EventParseResult r = LlmCallEventJson.parse(text, WINDOW);
        assertBounded(r);
        net.jqwik.api.statistics.Statistics.label("malformed").collect(!r.isValid() && r.errors().get(0).message().startsWith("malformed JSON"));
        net.jqwik.api.statistics.Statistics.label("malformed").coverage(c -> c.check(true).count((Integer n) -> n >= 30));
    }

    static void assertBounded(EventParseResult r) {
        if (r.isValid()) {
            assertThat(r.errors()).isEmpty();
            assertThat(EventBounds.check(r.event(), WINDOW)).as("a valid event is inside the bounds").isEmpty();
            // A reader that holds the encoded record passes its size instead of encoding again: same verdict,
            // and a size past the bound is refused naming the whole event.
            assertThat(EventBounds.check(r.event(), WINDOW, EventBounds.encodedSize(r.event()))).isEmpty();
            assertThat(EventBounds.check(r.event(), WINDOW, EventBounds.MAX_EVENT_BYTES + 1L)).singleElement()
                    .satisfies(e -> assertThat(e.field()).isEqualTo("$"));
            assertThat(LlmCallEventJson.parse(LlmCallEventJson.toJson(r.event()), WINDOW).event()).isEqualTo(r.event());
        } else {
            List<FieldError> errors = r.errors();
            assertThat(errors).isNotEmpty().hasSizeLessThanOrEqualTo(EventBounds.MAX_ERRORS_PER_EVENT + 1);
            for (FieldError e : errors) {
                assertThat(e.field().length()).as("field name of %s", e).isLessThanOrEqualTo(160);
                assertThat(e.message().length()).as("message of %s", e.field()).isLessThanOrEqualTo(800);
            }
        }
    }
}
