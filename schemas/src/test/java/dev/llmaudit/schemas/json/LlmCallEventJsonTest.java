package dev.llmaudit.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LlmCallEventJsonTest {

    static String fullEvent() throws IOException {
        try (InputStream in = LlmCallEventJsonTest.class.getResourceAsStream("/events/full-event.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void fullEventRoundTripsFieldByField() throws IOException {
        String json = fullEvent();
        JsonNode input = LlmCallEventJson.mapper().readTree(json);

        LlmCallEvent event = LlmCallEventJson.parseOrThrow(json);
        // Re-read the output text with the same mapper so numbers compare by value, not node class.
        JsonNode output = LlmCallEventJson.mapper().readTree(LlmCallEventJson.toJson(event));

        // The example carries every canonical field but error_type (it is a successful call).
        assertThat(LlmCallEventJson.FIELDS).filteredOn(f -> !input.has(f)).containsExactly("error_type");
        assertThat(output).isEqualTo(input);
        for (String field : LlmCallEventJson.FIELDS) {
            assertThat(output.get(field)).as(field).isEqualTo(input.get(field));
        }
        assertThat(event.getEventTime()).isEqualTo(Instant.parse("2026-11-26T14:05:33.120456Z"));
        assertThat(event.getCloud()).isEqualTo(Cloud.aws);
        assertThat(event.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(event.getReportedCost().getAmount()).isEqualByComparingTo(new BigDecimal("0.0123"));
        assertThat(LlmCallEventJson.parseOrThrow(LlmCallEventJson.toJson(event))).isEqualTo(event);
    }

    @Test
    void minimalEventNeedsOnlyIdAndTime() {
        LlmCallEvent e = LlmCallEventJson.parseOrThrow("{\"event_id\":\"e1\",\"event_time\":\"2026-01-02T03:04:05+01:00\"}");
        assertThat(e.getEventTime()).isEqualTo(Instant.parse("2026-01-02T02:04:05Z"));
        assertThat(e.getInputTokens()).as("unknown tokens stay unknown, not 0").isNull();
        assertThat(e.getCloud()).isNull();
        assertThat(LlmCallEventJson.toJson(e))
                .isEqualTo("{\"event_id\":\"e1\",\"event_time\":\"2026-01-02T02:04:05Z\",\"streaming\":false,\"status\":\"ok\"}");
    }

    @Test
    void moneyIsExactEvenWhenSentAsAJsonNumber() {
        LlmCallEvent e = LlmCallEventJson.parseOrThrow("{\"event_id\":\"e1\",\"event_time\":\"2026-01-02T03:04:05Z\","
                + "\"reported_cost\":{\"amount\":0.100000000001,\"currency\":\"USD\"}}");
        assertThat(e.getReportedCost().getAmount()).isEqualTo(new BigDecimal("0.100000000001"));
        assertThat(LlmCallEventJson.toNode(e).get("reported_cost").get("amount").asText()).isEqualTo("0.100000000001");
    }

    static Stream<Arguments> badInputs() {
        String ok = "\"event_id\":\"e1\",\"event_time\":\"2026-01-02T03:04:05Z\"";
        return Stream.of(
                Arguments.of("missing event_id", "{\"event_time\":\"2026-01-02T03:04:05Z\"}",
                        List.of("event_id: missing required field")),
                Arguments.of("missing event_time", "{\"event_id\":\"e1\"}",
                        List.of("event_time: missing required field")),
                Arguments.of("negative tokens", "{" + ok + ",\"input_tokens\":-3}",
                        List.of("input_tokens: must be >= 0, got -3")),
                Arguments.of("bad timestamp", "{\"event_id\":\"e1\",\"event_time\":\"yesterday\"}",
                        List.of("event_time: not an ISO-8601 instant: \"yesterday\" (expected e.g. \"2026-11-26T14:05:33.120Z\" or \"2026-11-26T15:05:33+01:00\")")),
                Arguments.of("unknown enum value", "{" + ok + ",\"cloud\":\"azrue\"}",
                        List.of("cloud: unknown value \"azrue\" (expected one of azure, aws, gcp, openai, anthropic, other)")),
                Arguments.of("wrong type", "{" + ok + ",\"output_tokens\":\"12\"}",
                        List.of("output_tokens: must be an integer, got a string \"12\"")),
                Arguments.of("fractional tokens", "{" + ok + ",\"output_tokens\":12.5}",
                        List.of("output_tokens: must be a whole number, got 12.5")),
                Arguments.of("event_id not a string", "{\"event_id\":42,\"event_time\":\"2026-01-02T03:04:05Z\"}",
                        List.of("event_id: must be a string, got an integer")),
                Arguments.of("typo in field name", "{" + ok + ",\"data_residncy\":\"eu\"}",
                        List.of("data_residncy: unknown field (did you mean \"data_residency\"?) (the canonical fields are listed in schemas/README.md)")),
                Arguments.of("cached more than input", "{" + ok + ",\"input_tokens\":10,\"cached_input_tokens\":12}",
                        List.of("cached_input_tokens: must not exceed input_tokens (cached tokens are a subset of input tokens), got 12 > 10")),
                Arguments.of("cost without currency", "{" + ok + ",\"reported_cost\":{\"amount\":\"0.5\"}}",
                        List.of("reported_cost.currency: missing required field")),
                Arguments.of("cost as float text", "{" + ok + ",\"reported_cost\":{\"amount\":\"abc\",\"currency\":\"usd\"}}",
                        List.of("reported_cost.amount: not a decimal number: \"abc\"",
                                "reported_cost.currency: must be an ISO 4217 code of three upper-case letters such as USD, got \"usd\"")),
                Arguments.of("http status out of range", "{" + ok + ",\"http_status\":1000}",
                        List.of("http_status: must be <= 599, got 1000")),
                Arguments.of("tag not a string", "{" + ok + ",\"tags\":{\"project\":7}}",
                        List.of("tags.project: must be a string, got an integer")),
                Arguments.of("bad trace id", "{" + ok + ",\"trace_id\":\"xyz\"}",
                        List.of("trace_id: must be 32 lower-case hex digits, got \"xyz\"")),
                Arguments.of("several errors at once", "{\"event_time\":\"2026-13-01T00:00:00Z\",\"latency_ms\":-1,\"streaming\":\"yes\"}",
                        List.of("event_id: missing required field",
                                "event_time: not an ISO-8601 instant: \"2026-13-01T00:00:00Z\" (expected e.g. \"2026-11-26T14:05:33.120Z\" or \"2026-11-26T15:05:33+01:00\")",
                                "latency_ms: must be >= 0, got -1",
                                "streaming: must be true or false, got a string")),
                Arguments.of("not an object", "[1,2]",
                        List.of("$: expected a JSON object, got an array")),
                Arguments.of("malformed JSON", "{\"event_id\":\"e1\",",
                        List.of("$: malformed JSON at line 1, column 18: Unexpected end-of-input within/between Object entries")),
                Arguments.of("duplicate key", "{\"event_id\":\"e1\",\"event_id\":\"e2\",\"event_time\":\"2026-01-02T03:04:05Z\"}",
                        List.of("$: malformed JSON at line 1, column 28: Duplicate field 'event_id'")),
                Arguments.of("huge string", "{" + ok + ",\"app\":\"" + "a".repeat(300) + "\"}",
                        List.of("app: must be at most 256 characters, got 300")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputGivesPreciseErrors(String name, String json, List<String> expected) {
        EventParseResult result = LlmCallEventJson.parse(json);

        assertThat(result.isValid()).isFalse();
        assertThat(result.errors()).extracting(FieldError::toString).containsExactlyElementsOf(expected);
    }
}
