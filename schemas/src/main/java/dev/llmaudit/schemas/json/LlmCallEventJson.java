package dev.llmaudit.schemas.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.schemas.EventBounds;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one mapper between the canonical JSON form of {@link LlmCallEvent} (the public contract for
 * gateways and event files, documented in schemas/README.md) and the Avro record.
 *
 * <p>Reading is strict on purpose: an unknown field is an error, not ignored, because a typo such as
 * {@code data_residncy} would otherwise silently switch off a residency check. Every problem in an
 * event is reported, each naming its field and what would be accepted. Numbers are read exactly
 * (money never passes through {@code double}).
 */
public final class LlmCallEventJson {
    static {
        // Building records resolves generated enum classes by name; Avro 1.12 must trust them first.
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses();
    }

    /** Money amounts carry 12 fractional digits (see Money.avsc). */
    public static final int MONEY_SCALE = EventBounds.MONEY_SCALE;

    static final int MAX_ID_LENGTH = EventBounds.MAX_ID_LENGTH;
    static final int MAX_TEXT_LENGTH = EventBounds.MAX_ENDPOINT_LENGTH;
    static final int MAX_TAGS = EventBounds.MAX_TAGS;
    static final int MAX_TAG_KEY_LENGTH = EventBounds.MAX_TAG_KEY_LENGTH;
    static final int MAX_TAG_VALUE_LENGTH = EventBounds.MAX_TAG_VALUE_LENGTH;

    /**
     * Parser limits for hostile input: numbers of at most 100 characters (a token count needs 10, a
     * cost 25), nesting at most 100 deep, names at most 1,024 characters. Jackson's defaults (1,000 /
     * 1,000 / 50,000) would let one request make the parser and the error messages do far more work.
     */
    private static final com.fasterxml.jackson.core.StreamReadConstraints LIMITS = com.fasterxml.jackson.core.StreamReadConstraints.builder()
            .maxNumberLength(100).maxNestingDepth(100).maxNameLength(1024).build();

    private static final JsonMapper MAPPER = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
                    .streamReadConstraints(LIMITS).build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    /** Canonical field names in schema order. */
    public static final List<String> FIELDS = LlmCallEvent.getClassSchema().getFields().stream()
            .map(org.apache.avro.Schema.Field::name)
            .collect(Collectors.toUnmodifiableList());

    private static final Set<String> FIELD_SET = Set.copyOf(FIELDS);

    private LlmCallEventJson() {}

    /** The shared, configured Jackson mapper (exact decimals, duplicate keys rejected). */
    public static JsonMapper mapper() {
        return MAPPER;
    }

    /**
     * Parses one JSON document holding one event, as a replay of past events: times in the future
     * (beyond the allowed skew) are refused, old ones are not. Malformed JSON is a {@code $} error.
     */
    public static EventParseResult parse(String json) {
        return parse(json, EventBounds.TimeWindow.replay(Instant.now()));
    }

    /** Parses one JSON document holding one event, with event_time checked against the window. */
    public static EventParseResult parse(String json, EventBounds.TimeWindow window) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return EventParseResult.failed(List.of(new FieldError("$", describeMalformed(e))));
        }
        if (node == null || node.isMissingNode()) {
            return EventParseResult.failed(List.of(new FieldError("$", "empty input, expected a JSON object")));
        }
        return fromNode(node, window);
    }

    /** Describes a Jackson parse failure as "malformed JSON at line L, column C: reason". */
    public static String describeMalformed(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        // Jackson quotes the offending token; keep the answer bounded whatever was sent.
        String reason = EventBounds.excerpt(e.getOriginalMessage(), 300);
        if (e instanceof JsonParseException || loc != null) {
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            return "malformed JSON" + where + ": " + reason;
        }
        return "malformed JSON: " + reason;
    }

    /** Validates and converts one already-parsed JSON value as a replay (see {@link #parse(String)}). */
    public static EventParseResult fromNode(JsonNode node) {
        return fromNode(node, EventBounds.TimeWindow.replay(Instant.now()));
    }

    /**
     * Validates and converts one already-parsed JSON value: every field against the contract and its
     * bounds ({@link EventBounds}), event_time against the window. At most
     * {@link EventBounds#MAX_ERRORS_PER_EVENT} problems are listed, each quoting at most
     * {@link EventBounds#MAX_QUOTED_CHARS} characters of what was sent.
     */
    public static EventParseResult fromNode(JsonNode node, EventBounds.TimeWindow window) {
        List<FieldError> errors = new ArrayList<>();
        if (!node.isObject()) {
            errors.add(new FieldError("$", "expected a JSON object, got " + kind(node)));
            return EventParseResult.failed(errors);
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELD_SET.contains(name)) {
                errors.add(new FieldError(EventBounds.excerpt(name), "unknown field" + suggestion(name)
                        + " (the canonical fields are listed in schemas/README.md)"));
            }
        }
        Reader r = new Reader(node, errors);
        LlmCallEvent.Builder b = LlmCallEvent.newBuilder();

        String eventId = r.requiredText("event_id", MAX_ID_LENGTH);
        Instant eventTime = r.requiredInstant("event_time");
        if (eventTime != null) {
            Instant t = eventTime;
            window.check(t).ifPresent(m -> errors.add(new FieldError("event_time", m)));
        }
        b.setTenant(r.text("tenant", MAX_ID_LENGTH));
        b.setApp(r.text("app", MAX_ID_LENGTH));
        b.setTeam(r.text("team", MAX_ID_LENGTH));
        b.setEnvironment(r.text("environment", MAX_ID_LENGTH));
        b.setUserHash(r.text("user_hash", MAX_ID_LENGTH));
        b.setProvider(r.text("provider", MAX_ID_LENGTH));
        b.setCloud(r.symbol("cloud", Cloud.values(), Cloud::valueOf));
        b.setRegion(r.text("region", MAX_ID_LENGTH));
        b.setDeploymentScope(r.symbol("deployment_scope", DeploymentScope.values(), DeploymentScope::valueOf));
        b.setEndpoint(r.text("endpoint", MAX_TEXT_LENGTH));
        b.setOperation(r.symbol("operation", Operation.values(), Operation::valueOf));
        b.setRequestModel(r.text("request_model", MAX_ID_LENGTH));
        b.setResponseModel(r.text("response_model", MAX_ID_LENGTH));
        Long input = r.count("input_tokens");
        Long output = r.count("output_tokens");
        Long cached = r.count("cached_input_tokens");
        Long reasoning = r.count("reasoning_tokens");
        b.setInputTokens(input).setOutputTokens(output).setCachedInputTokens(cached).setReasoningTokens(reasoning);
        if (cached != null && input != null && cached > input) {
            errors.add(new FieldError("cached_input_tokens",
                    "must not exceed input_tokens (cached tokens are a subset of input tokens), got " + cached + " > " + input));
        }
        if (reasoning != null && output != null && reasoning > output) {
            errors.add(new FieldError("reasoning_tokens",
                    "must not exceed output_tokens (reasoning tokens are a subset of output tokens), got " + reasoning + " > " + output));
        }
        b.setLatencyMs(r.integer("latency_ms", 0, EventBounds.MAX_DURATION_MS));
        b.setTimeToFirstTokenMs(r.integer("time_to_first_token_ms", 0, EventBounds.MAX_DURATION_MS));
        Boolean streaming = r.bool("streaming");
        b.setStreaming(streaming != null && streaming);
        CallStatus status = r.symbol("status", CallStatus.values(), CallStatus::valueOf);
        b.setStatus(status == null ? CallStatus.ok : status);
        b.setErrorType(r.text("error_type", MAX_ID_LENGTH));
        Long http = r.integer("http_status", 100, 599);
        b.setHttpStatus(http == null ? null : http.intValue());
        b.setDataClassification(r.lowerToken("data_classification"));
        b.setDataResidency(r.lowerToken("data_residency"));
        b.setReportedCost(r.money("reported_cost"));
        b.setPromptHash(r.hex("prompt_hash", 16, 128));
        b.setResponseHash(r.hex("response_hash", 16, 128));
        b.setTraceId(r.hex("trace_id", 32, 32));
        b.setSpanId(r.hex("span_id", 16, 16));
        b.setRequestId(r.text("request_id", MAX_ID_LENGTH));
        b.setSource(r.text("source", MAX_ID_LENGTH));
        b.setTags(r.tags("tags"));

        if (!errors.isEmpty()) {
            return EventParseResult.failed(EventBounds.cap(errors));
        }
        b.setEventId(eventId).setEventTime(eventTime);
        LlmCallEvent event = b.build();
        long size = EventBounds.encodedSize(event);
        if (size > EventBounds.MAX_EVENT_BYTES) {
            return EventParseResult.failed(List.of(new FieldError("$", "the event is " + size + " bytes encoded; at most "
                    + EventBounds.MAX_EVENT_BYTES + " are accepted (shorten tags or other long values)")));
        }
        return EventParseResult.ok(event);
    }

    /** Parses or throws {@link IllegalArgumentException} with every error; for tests and trusted input. */
    public static LlmCallEvent parseOrThrow(String json) {
        EventParseResult result = parse(json);
        if (!result.isValid()) {
            throw new IllegalArgumentException(result.errorSummary());
        }
        return result.event();
    }

    /** The canonical JSON object of an event: schema field order, absent values omitted. */
    public static ObjectNode toNode(LlmCallEvent e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("event_id", e.getEventId());
        o.put("event_time", formatInstant(e.getEventTime()));
        putText(o, "tenant", e.getTenant());
        putText(o, "app", e.getApp());
        putText(o, "team", e.getTeam());
        putText(o, "environment", e.getEnvironment());
        putText(o, "user_hash", e.getUserHash());
        putText(o, "provider", e.getProvider());
        putText(o, "cloud", e.getCloud() == null ? null : e.getCloud().name());
        putText(o, "region", e.getRegion());
        putText(o, "deployment_scope", e.getDeploymentScope() == null ? null : e.getDeploymentScope().name());
        putText(o, "endpoint", e.getEndpoint());
        putText(o, "operation", e.getOperation() == null ? null : e.getOperation().name());
        putText(o, "request_model", e.getRequestModel());
        putText(o, "response_model", e.getResponseModel());
        putLong(o, "input_tokens", e.getInputTokens());
        putLong(o, "output_tokens", e.getOutputTokens());
        putLong(o, "cached_input_tokens", e.getCachedInputTokens());
        putLong(o, "reasoning_tokens", e.getReasoningTokens());
        putLong(o, "latency_ms", e.getLatencyMs());
        putLong(o, "time_to_first_token_ms", e.getTimeToFirstTokenMs());
        o.put("streaming", e.getStreaming());
        o.put("status", e.getStatus().name());
        putText(o, "error_type", e.getErrorType());
        if (e.getHttpStatus() != null) {
            o.put("http_status", e.getHttpStatus());
        }
        putText(o, "data_classification", e.getDataClassification());
        putText(o, "data_residency", e.getDataResidency());
        if (e.getReportedCost() != null) {
            o.set("reported_cost", moneyNode(e.getReportedCost()));
        }
        putText(o, "prompt_hash", e.getPromptHash());
        putText(o, "response_hash", e.getResponseHash());
        putText(o, "trace_id", e.getTraceId());
        putText(o, "span_id", e.getSpanId());
        putText(o, "request_id", e.getRequestId());
        putText(o, "source", e.getSource());
        if (e.getTags() != null && !e.getTags().isEmpty()) {
            ObjectNode tags = o.putObject("tags");
            e.getTags().forEach(tags::put);
        }
        return o;
    }

    /** The canonical JSON text of an event, on one line (an NDJSON line). */
    public static String toJson(LlmCallEvent e) {
        return toNode(e).toString();
    }

    /** {"amount": "0.0123", "currency": "USD"}: the amount as a plain decimal string, trailing zeros removed. */
    public static ObjectNode moneyNode(Money m) {
        ObjectNode cost = JsonNodeFactory.instance.objectNode();
        cost.put("amount", plain(m.getAmount()));
        cost.put("currency", m.getCurrency());
        return cost;
    }

    /** A decimal as plain text without trailing zeros ("0.0123", "12", "0"). */
    public static String plain(BigDecimal amount) {
        BigDecimal stripped = amount.stripTrailingZeros();
        return stripped.signum() == 0 ? "0" : stripped.toPlainString();
    }

    /** Builds a {@link Money} at the contract's scale; fails if more than 12 fractional digits. */
    public static Money money(BigDecimal amount, String currency) {
        return Money.newBuilder().setAmount(amount.setScale(MONEY_SCALE, RoundingMode.UNNECESSARY)).setCurrency(currency).build();
    }

    /** ISO-8601 UTC with as many fractional digits as needed (microsecond precision at most). */
    public static String formatInstant(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t);
    }

    private static void putText(ObjectNode o, String name, String value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    private static void putLong(ObjectNode o, String name, Long value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    static String kind(JsonNode n) {
        if (n.isTextual()) {
            return "a string";
        } else if (n.isIntegralNumber()) {
            return "an integer";
        } else if (n.isNumber()) {
            return "a number";
        } else if (n.isBoolean()) {
            return "a boolean";
        } else if (n.isArray()) {
            return "an array";
        } else if (n.isObject()) {
            return "an object";
        } else if (n.isNull()) {
            return "null";
        }
        return n.getNodeType().name().toLowerCase();
    }

    private static String suggestion(String name) {
        if (name.length() > 64) {
            return "";
        }
        return Suggestions.closest(name, FIELDS).map(best -> " (did you mean \"" + best + "\"?)").orElse("");
    }

    /** Reads typed fields off one JSON object, collecting errors instead of throwing. */
    private static final class Reader {
        private final JsonNode node;
        private final List<FieldError> errors;

        Reader(JsonNode node, List<FieldError> errors) {
            this.node = node;
            this.errors = errors;
        }

        /** The field's value, or null when absent or JSON null. */
        private JsonNode get(String name) {
            JsonNode v = node.get(name);
            return v == null || v.isNull() ? null : v;
        }

        private void error(String field, String message) {
            errors.add(new FieldError(field, message));
        }

        String requiredText(String name, int maxLength) {
            if (get(name) == null) {
                error(name, "missing required field");
                return null;
            }
            String v = text(name, maxLength);
            if (v != null && v.isBlank()) {
                error(name, "must not be blank");
                return null;
            }
            return v;
        }

        String text(String name, int maxLength) {
            JsonNode v = get(name);
            if (v == null) {
                return null;
            }
            if (!v.isTextual()) {
                error(name, "must be a string, got " + kind(v));
                return null;
            }
            String s = v.textValue();
            if (s.length() > maxLength) {
                error(name, "must be at most " + maxLength + " characters, got " + s.length());
                return null;
            }
            return s;
        }

        String lowerToken(String name) {
            String s = text(name, MAX_ID_LENGTH);
            if (s != null && !s.matches("[a-z0-9][a-z0-9_.-]*")) {
                error(name, "must be a lower-case token such as pii or eu (letters, digits, _ . -), got " + EventBounds.quote(s));
                return null;
            }
            return s;
        }

        String hex(String name, int minLength, int maxLength) {
            String s = text(name, maxLength);
            if (s == null) {
                return null;
            }
            if (s.length() < minLength || !HEX.matcher(s).matches()) {
                String size = minLength == maxLength ? minLength + "" : minLength + " to " + maxLength;
                error(name, "must be " + size + " lower-case hex digits, got " + EventBounds.quote(s));
                return null;
            }
            return s;
        }

        Instant requiredInstant(String name) {
            JsonNode v = get(name);
            if (v == null) {
                error(name, "missing required field");
                return null;
            }
            if (!v.isTextual()) {
                error(name, "must be an ISO-8601 instant string such as \"2026-11-26T14:05:33Z\", got " + kind(v));
                return null;
            }
            try {
                // Accepts Z or an explicit offset; stored in UTC at microsecond precision.
                return OffsetDateTime.parse(v.textValue(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .toInstant().truncatedTo(ChronoUnit.MICROS);
            } catch (DateTimeParseException e) {
                error(name, "not an ISO-8601 instant: " + EventBounds.quote(v.textValue())
                        + " (expected e.g. \"2026-11-26T14:05:33.120Z\" or \"2026-11-26T15:05:33+01:00\")");
                return null;
            }
        }

        Long integer(String name, long min, long max) {
            JsonNode v = get(name);
            if (v == null) {
                return null;
            }
            if (!v.isIntegralNumber()) {
                String hint = v.isNumber() ? "must be a whole number, got " + EventBounds.excerpt(v.asText())
                        : "must be an integer, got " + kind(v) + (v.isTextual() ? " " + EventBounds.quote(v.textValue()) : "");
                error(name, hint);
                return null;
            }
            java.math.BigInteger big = v.bigIntegerValue();
            if (big.compareTo(java.math.BigInteger.valueOf(min)) < 0) {
                error(name, "must be >= " + min + ", got " + EventBounds.excerpt(big.toString()));
                return null;
            }
            if (big.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
                error(name, "must be <= " + max + ", got " + EventBounds.excerpt(big.toString()));
                return null;
            }
            return big.longValue();
        }

        Long count(String name) {
            return integer(name, 0, EventBounds.MAX_TOKENS);
        }

        Boolean bool(String name) {
            JsonNode v = get(name);
            if (v == null) {
                return null;
            }
            if (!v.isBoolean()) {
                error(name, "must be true or false, got " + kind(v));
                return null;
            }
            return v.booleanValue();
        }

        <E extends Enum<E>> E symbol(String name, E[] values, Function<String, E> valueOf) {
            JsonNode v = get(name);
            if (v == null) {
                return null;
            }
            String expected = Arrays.stream(values).map(Enum::name).collect(Collectors.joining(", "));
            if (!v.isTextual()) {
                error(name, "must be a string (one of " + expected + "), got " + kind(v));
                return null;
            }
            for (E e : values) {
                if (e.name().equals(v.textValue())) {
                    return valueOf.apply(v.textValue());
                }
            }
            error(name, "unknown value " + EventBounds.quote(v.textValue()) + " (expected one of " + expected + ")");
            return null;
        }

        Money money(String name) {
            JsonNode v = get(name);
            if (v == null) {
                return null;
            }
            if (!v.isObject()) {
                error(name, "must be an object like {\"amount\": \"0.0123\", \"currency\": \"USD\"}, got " + kind(v));
                return null;
            }
            Set<String> extra = new LinkedHashSet<>();
            v.fieldNames().forEachRemaining(extra::add);
            extra.remove("amount");
            extra.remove("currency");
            for (String f : extra) {
                error(name + "." + EventBounds.excerpt(f), "unknown field (expected amount and currency)");
            }
            JsonNode amount = v.get("amount");
            JsonNode currency = v.get("currency");
            BigDecimal value = null;
            if (amount == null || amount.isNull()) {
                error(name + ".amount", "missing required field");
            } else if (amount.isTextual()) {
                String text = amount.textValue().trim();
                if (text.length() > EventBounds.MAX_MONEY_TEXT_LENGTH) {
                    error(name + ".amount", "at most " + EventBounds.MAX_MONEY_TEXT_LENGTH + " characters, got " + text.length());
                } else {
                    try {
                        value = new BigDecimal(text);
                    } catch (NumberFormatException e) {
                        error(name + ".amount", "not a decimal number: " + EventBounds.quote(amount.textValue()));
                    }
                }
            } else if (amount.isNumber()) {
                value = amount.decimalValue();
            } else {
                error(name + ".amount", "must be a decimal string such as \"0.0123\", got " + kind(amount));
            }
            if (value != null) {
                // Checked before any arithmetic: "1e-20000000" is 11 characters but 20 million digits written out.
                var problem = EventBounds.checkMoney(value);
                if (problem.isPresent()) {
                    error(name + ".amount", problem.get());
                    value = null;
                }
            }
            String code = null;
            if (currency == null || currency.isNull()) {
                error(name + ".currency", "missing required field");
            } else if (!currency.isTextual() || !CURRENCY.matcher(currency.textValue()).matches()) {
                error(name + ".currency", "must be an ISO 4217 code of three upper-case letters such as USD, got "
                        + (currency.isTextual() ? EventBounds.quote(currency.textValue()) : kind(currency)));
            } else {
                code = currency.textValue();
            }
            return value == null || code == null ? null : LlmCallEventJson.money(value, code);
        }

        Map<String, String> tags(String name) {
            JsonNode v = get(name);
            Map<String, String> tags = new LinkedHashMap<>();
            if (v == null) {
                return tags;
            }
            if (!v.isObject()) {
                error(name, "must be an object of string values, got " + kind(v));
                return tags;
            }
            if (v.size() > MAX_TAGS) {
                error(name, "at most " + MAX_TAGS + " tags, got " + v.size());
                return tags;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> t = it.next();
                String field = name + "." + EventBounds.excerpt(t.getKey());
                if (t.getKey().isEmpty() || t.getKey().length() > MAX_TAG_KEY_LENGTH) {
                    error(field, "tag names must be 1 to " + MAX_TAG_KEY_LENGTH + " characters");
                } else if (!t.getValue().isTextual()) {
                    error(field, "must be a string, got " + kind(t.getValue()));
                } else if (t.getValue().textValue().length() > MAX_TAG_VALUE_LENGTH) {
                    error(field, "must be at most " + MAX_TAG_VALUE_LENGTH + " characters, got " + t.getValue().textValue().length());
                } else {
                    tags.put(t.getKey(), t.getValue().textValue());
                }
            }
            return tags;
        }
    }
}
