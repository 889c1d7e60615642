package dev.llmaudit.schemas;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Money;
import dev.llmaudit.schemas.json.FieldError;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The bounds of the event contract, declared once. Every entry point enforces them: the JSON mapper
 * (gateway, event files), the LiteLLM mapping (through the mapper), the Java client before it queues
 * an event, and the enforcer for records that reach {@code llm.events} from any other writer. Each
 * bound and its reason is documented in schemas/README.md ("Bounds").
 *
 * <p>The point is that no single event can stop the pipeline or skew the money: absurd token counts
 * would price a call at trillions, far-future times would drag event-time watermarks, 70 KB strings
 * overflow internal encodings, and unbounded decimal exponents turn a 12-character field into a
 * gigabyte of digits.
 */
public final class EventBounds {
    /** Ids and names: event_id, tenant, app, team, environment, provider, region, models, error_type, request_id, source, ... */
    public static final int MAX_ID_LENGTH = 256;
    /** endpoint (a host name, sometimes a URL). */
    public static final int MAX_ENDPOINT_LENGTH = 1024;
    public static final int MAX_TAGS = 64;
    public static final int MAX_TAG_KEY_LENGTH = 128;
    public static final int MAX_TAG_VALUE_LENGTH = 512;
    /** Per token count. The largest context windows are ~10^7 tokens; 10^9 leaves room and keeps sums far from overflow. */
    public static final long MAX_TOKENS = 1_000_000_000L;
    /** latency_ms and time_to_first_token_ms: one day. */
    public static final long MAX_DURATION_MS = Duration.ofDays(1).toMillis();
    /** Money: fractional digits (the Avro decimal's scale). */
    public static final int MONEY_SCALE = 12;
    /** Money: integer digits; 10^12 of any currency per call is already absurd, and sums of 10^9 such stay inside decimal(38,12). */
    public static final int MAX_MONEY_INTEGER_DIGITS = 12;
    /** A money amount written as text: longer strings are refused before any decimal arithmetic. */
    public static final int MAX_MONEY_TEXT_LENGTH = 40;
    /** The whole event, Avro-encoded. */
    public static final int MAX_EVENT_BYTES = 64 * 1024;
    /** event_time may be ahead of the receiver's clock by this much (clock skew); later events are refused. */
    public static final Duration DEFAULT_FUTURE_SKEW = Duration.ofMinutes(5);
    /** The gateway refuses events older than this by default (replay tools opt out). */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(35);
    /** No event is older than this: catches epoch-0 and seconds-vs-milliseconds mistakes. */
    public static final Instant EARLIEST_EVENT_TIME = Instant.parse("2015-01-01T00:00:00Z");
    /** Error messages quote at most this many characters of an offending value. */
    public static final int MAX_QUOTED_CHARS = 100;
    /** At most this many problems are reported per event (the rest are counted). */
    public static final int MAX_ERRORS_PER_EVENT = 20;

    private EventBounds() {}

    /**
     * Where an event's time may lie relative to the receiver's clock.
     *
     * @param futureSkew how far ahead of {@code now} an event may be
     * @param maxAge how far behind {@code now} it may be; null = no limit (replays of past events)
     */
    public record TimeWindow(Instant now, Duration futureSkew, Duration maxAge) {
        public TimeWindow {
            java.util.Objects.requireNonNull(now, "now");
            java.util.Objects.requireNonNull(futureSkew, "futureSkew");
        }

        /** Live traffic: the default skew and maximum age. */
        public static TimeWindow live(Instant now) {
            return new TimeWindow(now, DEFAULT_FUTURE_SKEW, DEFAULT_MAX_AGE);
        }

        /** Replays of past events: the future limit still holds, the age limit does not. */
        public static TimeWindow replay(Instant now) {
            return new TimeWindow(now, DEFAULT_FUTURE_SKEW, null);
        }

        public Instant latest() {
            return now.plus(futureSkew);
        }

        /** The problem with this time, if any. */
        public Optional<String> check(Instant t) {
            if (t.isAfter(latest())) {
                return Optional.of("must not be in the future: " + t + " is after " + latest() + " (the receiver's clock plus "
                        + futureSkew.toMinutes() + " min of allowed skew)");
            }
            if (t.isBefore(EARLIEST_EVENT_TIME)) {
                return Optional.of("must not be before " + EARLIEST_EVENT_TIME + ", got " + t
                        + " (an epoch-0 or seconds-vs-milliseconds mistake?)");
            }
            if (maxAge != null && t.isBefore(now.minus(maxAge))) {
                return Optional.of("too old: " + t + " is more than " + maxAge.toDays() + " days before now; this gateway accepts events"
                        + " up to " + maxAge.toDays() + " days old (replay older events with llm-audit local --events-file)");
            }
            return Optional.empty();
        }
    }

    /**
     * Checks an event that is already an Avro record (the client before queueing it, the enforcer for
     * records from other writers). Cheap: lengths, ranges and one encoded-size pass, no parsing.
     */
    public static List<FieldError> check(LlmCallEvent e, TimeWindow window) {
        return check(e, window, -1);
    }

    /**
     * As {@link #check(LlmCallEvent, TimeWindow)}, for a reader that already holds the encoded record
     * (the enforcer reading llm.events): its size is taken as given instead of encoding the event again,
     * which cost about 5 % of the enforcer's stream threads.
     *
     * @param encodedSize the size of the event's Avro encoding as written, or -1 to compute it
     */
    public static List<FieldError> check(LlmCallEvent e, TimeWindow window, long encodedSize) {
        List<FieldError> errors = new ArrayList<>(0);
        text(errors, "event_id", e.getEventId(), MAX_ID_LENGTH);
        if (e.getEventId() == null || e.getEventId().isBlank()) {
            errors.add(new FieldError("event_id", "must not be blank"));
        }
        text(errors, "tenant", e.getTenant(), MAX_ID_LENGTH);
        text(errors, "app", e.getApp(), MAX_ID_LENGTH);
        text(errors, "team", e.getTeam(), MAX_ID_LENGTH);
        text(errors, "environment", e.getEnvironment(), MAX_ID_LENGTH);
        text(errors, "user_hash", e.getUserHash(), MAX_ID_LENGTH);
        text(errors, "provider", e.getProvider(), MAX_ID_LENGTH);
        text(errors, "region", e.getRegion(), MAX_ID_LENGTH);
        text(errors, "endpoint", e.getEndpoint(), MAX_ENDPOINT_LENGTH);
        text(errors, "request_model", e.getRequestModel(), MAX_ID_LENGTH);
        text(errors, "response_model", e.getResponseModel(), MAX_ID_LENGTH);
        text(errors, "error_type", e.getErrorType(), MAX_ID_LENGTH);
        text(errors, "data_classification", e.getDataClassification(), MAX_ID_LENGTH);
        text(errors, "data_residency", e.getDataResidency(), MAX_ID_LENGTH);
        text(errors, "prompt_hash", e.getPromptHash(), 128);
        text(errors, "response_hash", e.getResponseHash(), 128);
        text(errors, "trace_id", e.getTraceId(), 32);
        text(errors, "span_id", e.getSpanId(), 16);
        text(errors, "request_id", e.getRequestId(), MAX_ID_LENGTH);
        text(errors, "source", e.getSource(), MAX_ID_LENGTH);
        if (e.getEventTime() != null) {
            window.check(e.getEventTime()).ifPresent(m -> errors.add(new FieldError("event_time", m)));
        }
        tokens(errors, "input_tokens", e.getInputTokens());
        tokens(errors, "output_tokens", e.getOutputTokens());
        tokens(errors, "cached_input_tokens", e.getCachedInputTokens());
        tokens(errors, "reasoning_tokens", e.getReasoningTokens());
        subset(errors, "cached_input_tokens", e.getCachedInputTokens(), "input_tokens", e.getInputTokens());
        subset(errors, "reasoning_tokens", e.getReasoningTokens(), "output_tokens", e.getOutputTokens());
        duration(errors, "latency_ms", e.getLatencyMs());
        duration(errors, "time_to_first_token_ms", e.getTimeToFirstTokenMs());
        if (e.getHttpStatus() != null && (e.getHttpStatus() < 100 || e.getHttpStatus() > 599)) {
            errors.add(new FieldError("http_status", "must be between 100 and 599, got " + e.getHttpStatus()));
        }
        Money cost = e.getReportedCost();
        if (cost != null) {
            checkMoney(cost.getAmount()).ifPresent(m -> errors.add(new FieldError("reported_cost.amount", m)));
            if (cost.getCurrency() == null || !cost.getCurrency().matches("[A-Z]{3}")) {
                errors.add(new FieldError("reported_cost.currency", "must be an ISO 4217 code such as USD, got " + quote(cost.getCurrency())));
            }
        }
        Map<String, String> tags = e.getTags();
        if (tags != null) {
            if (tags.size() > MAX_TAGS) {
                errors.add(new FieldError("tags", "at most " + MAX_TAGS + " tags, got " + tags.size()));
            } else {
                for (Map.Entry<String, String> t : tags.entrySet()) {
                    String key = t.getKey() == null ? "" : t.getKey();
                    if (key.isEmpty() || key.length() > MAX_TAG_KEY_LENGTH) {
                        errors.add(new FieldError("tags." + excerpt(key), "tag names must be 1 to " + MAX_TAG_KEY_LENGTH
                                + " characters, got " + key.length()));
                    } else if (t.getValue() != null && t.getValue().length() > MAX_TAG_VALUE_LENGTH) {
                        errors.add(new FieldError("tags." + key, "must be at most " + MAX_TAG_VALUE_LENGTH + " characters, got "
                                + t.getValue().length()));
                    }
                }
            }
        }
        if (errors.isEmpty()) {
            long size = encodedSize >= 0 ? encodedSize : encodedSize(e);
            if (size > MAX_EVENT_BYTES) {
                errors.add(new FieldError("$", "the event is " + size + " bytes encoded; at most " + MAX_EVENT_BYTES + " are accepted"));
            }
        }
        return cap(errors);
    }

    /** The problem with a money amount, if any: negative, more than 12 decimals or 12 integer digits. O(1) in the exponent. */
    public static Optional<String> checkMoney(BigDecimal amount) {
        if (amount == null) {
            return Optional.of("missing");
        }
        if (amount.signum() < 0) {
            return Optional.of("must be >= 0, got " + describe(amount));
        }
        if (amount.signum() == 0) {
            return Optional.empty();
        }
        // precision() and scale() are read off the representation: no digits are expanded, whatever the exponent.
        long integerDigits = (long) amount.precision() - amount.scale();
        if (integerDigits > MAX_MONEY_INTEGER_DIGITS) {
            return Optional.of("at most " + MAX_MONEY_INTEGER_DIGITS + " integer digits, got " + describe(amount));
        }
        if (amount.scale() > MONEY_SCALE && amount.stripTrailingZeros().scale() > MONEY_SCALE) {
            return Optional.of("at most " + MONEY_SCALE + " decimal places, got " + describe(amount));
        }
        return Optional.empty();
    }

    /** A decimal for an error message: plain when short, else scientific, always bounded. */
    public static String describe(BigDecimal d) {
        long integerDigits = (long) d.precision() - d.scale();
        if (d.precision() <= 40 && d.scale() <= 40 && integerDigits <= 40) {
            return d.toPlainString();
        }
        String unscaled = d.unscaledValue().toString();
        String digits = unscaled.length() > 24 ? unscaled.substring(0, 24) + "..." : unscaled;
        long exponent = -(long) d.scale();
        return digits + "E" + (exponent >= 0 ? "+" : "") + exponent + " (" + d.precision() + " digits)";
    }

    /** At most {@link #MAX_QUOTED_CHARS} characters of a value, with its length when cut. */
    public static String excerpt(String s) {
        return excerpt(s, MAX_QUOTED_CHARS);
    }

    public static String excerpt(String s, int max) {
        if (s == null) {
            return "null";
        }
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end) + "...(" + s.length() + " characters)";
    }

    /** A value in quotes for an error message, bounded. */
    public static String quote(String s) {
        return s == null ? "null" : "\"" + excerpt(s) + "\"";
    }

    /** Keeps the first {@link #MAX_ERRORS_PER_EVENT} errors and counts the rest. */
    public static List<FieldError> cap(List<FieldError> errors) {
        if (errors.size() <= MAX_ERRORS_PER_EVENT) {
            return errors;
        }
        List<FieldError> out = new ArrayList<>(errors.subList(0, MAX_ERRORS_PER_EVENT));
        out.add(new FieldError("$", (errors.size() - MAX_ERRORS_PER_EVENT) + " more problems not listed"));
        return out;
    }

    /** The event's Avro binary size (what it takes on Kafka without the 5-byte Confluent header). */
    public static long encodedSize(LlmCallEvent e) {
        Counting counting = new Counting();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(counting, null);
        try {
            WRITER.get().write(e, encoder);
            encoder.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return counting.count;
    }

    private static final ThreadLocal<SpecificDatumWriter<LlmCallEvent>> WRITER =
            ThreadLocal.withInitial(() -> new SpecificDatumWriter<>(LlmCallEvent.class));

    private static final class Counting extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    private static void text(List<FieldError> errors, String field, String value, int max) {
        if (value != null && value.length() > max) {
            errors.add(new FieldError(field, "must be at most " + max + " characters, got " + value.length()));
        }
    }

    private static void tokens(List<FieldError> errors, String field, Long value) {
        if (value != null && (value < 0 || value > MAX_TOKENS)) {
            errors.add(new FieldError(field, "must be between 0 and " + MAX_TOKENS + ", got " + value));
        }
    }

    private static void duration(List<FieldError> errors, String field, Long value) {
        if (value != null && (value < 0 || value > MAX_DURATION_MS)) {
            errors.add(new FieldError(field, "must be between 0 and " + MAX_DURATION_MS + " (one day), got " + value));
        }
    }

    private static void subset(List<FieldError> errors, String part, Long partValue, String whole, Long wholeValue) {
        if (partValue != null && wholeValue != null && partValue > wholeValue) {
            errors.add(new FieldError(part, "must not exceed " + whole + " (a subset of it), got " + partValue + " > " + wholeValue));
        }
    }
}
