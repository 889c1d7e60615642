package dev.llmaudit.cli.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.cli.notify.NotifyConfig.Format;
import dev.llmaudit.cli.notify.NotifyConfig.Retry;
import dev.llmaudit.cli.notify.NotifyConfig.Webhook;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Posts one violation to one webhook, with retries: what to send (generic JSON, signed; or a Slack
 * message), whether it matches the webhook's filters, and when to give up.
 *
 * <p>Retried: connection failures, timeouts, 408, 425, 429 and 5xx, with exponential backoff from
 * {@code initial.backoff} to {@code max.backoff} (full jitter), honouring {@code Retry-After} up to
 * {@code max.backoff}. Not retried: other 4xx (the receiver refuses this message; retrying will not help).
 */
public final class Webhooks {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How one delivery ended. */
    public record Outcome(boolean delivered, int attempts, String failure) {}

    /** Waits between attempts; tests pass one that does not sleep. */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final HttpClient http;
    private final Retry retry;
    private final Clock clock;
    private final Sleeper sleeper;

    public Webhooks(HttpClient http, Retry retry, Clock clock, Sleeper sleeper) {
        this.http = http;
        this.retry = retry;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** True when the violation passes the webhook's filters (each given filter must match). */
    public static boolean wants(Webhook w, PolicyViolation v) {
        return (w.minSeverity() == null || v.getSeverity().ordinal() >= w.minSeverity().ordinal())
                && (w.policies() == null || w.policies().contains(v.getPolicyId()))
                && (w.tenants() == null || (v.getTenant() != null && w.tenants().contains(v.getTenant())))
                && (w.kinds() == null || w.kinds().contains(v.getPolicyKind().name()));
    }

    /** The body for the webhook's format. */
    public static String body(Format format, PolicyViolation v) {
        return format == Format.slack ? slack(v) : json(v);
    }

    static String json(PolicyViolation v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", v.getPolicyKind().name().equals("budget") ? "budget_threshold" : "violation");
        o.put("violation_id", v.getViolationId());
        o.put("policy_id", v.getPolicyId());
        o.put("policy_kind", v.getPolicyKind().name());
        o.put("severity", v.getSeverity().name());
        o.put("message", v.getMessage());
        o.put("tenant", v.getTenant());
        o.put("team", v.getTeam());
        o.put("app", v.getApp());
        o.put("environment", v.getEnvironment());
        o.put("cloud", v.getCloud() == null ? null : v.getCloud().name());
        o.put("region", v.getRegion());
        o.put("provider", v.getProvider());
        o.put("model", v.getModel());
        o.put("event_id", v.getEventId());
        o.put("event_time", v.getEventTime() == null ? null : v.getEventTime().toString());
        o.put("detected_at", v.getDetectedAt().toString());
        o.put("bundle_version", v.getBundleVersion());
        ObjectNode details = o.putObject("details");
        v.getDetails().forEach(details::put);
        return o.toString();
    }

    static String slack(PolicyViolation v) {
        String where = String.join(" ", nonNull(v.getTenant(), v.getTeam() == null ? null : "team " + v.getTeam(),
                v.getCloud() == null ? null : v.getCloud().name(), v.getRegion(), v.getModel()));
        String title = ":rotating_light: *" + v.getSeverity().name().toUpperCase(java.util.Locale.ROOT) + "* " + escape(v.getPolicyId())
                + " (" + v.getPolicyKind().name() + ")";
        ObjectNode o = JSON.createObjectNode();
        o.put("text", escape(v.getSeverity().name() + " " + v.getPolicyId() + ": " + v.getMessage())); // notification fallback
        ArrayNode blocks = o.putArray("blocks");
        blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn")
                .put("text", title + "\n" + escape(v.getMessage()));
        ArrayNode context = blocks.addObject().put("type", "context").putArray("elements");
        context.addObject().put("type", "mrkdwn").put("text", escape(where.isBlank() ? "-" : where) + " | " + v.getDetectedAt()
                + " | id " + v.getViolationId());
        return o.toString();
    }

    private static String[] nonNull(String... parts) {
        return java.util.Arrays.stream(parts).filter(p -> p != null && !p.isBlank()).toArray(String[]::new);
    }

    /** Slack's control characters: no mention (<!channel>), link or formatting can come from a policy or an event. */
    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** HMAC-SHA256 of {@code timestamp + "." + body}, lower-case hex: the receiver checks both, so a replayed old body fails. */
    public static String signature(String secret, long timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Posts until delivered, refused for good, or out of attempts. */
    public Outcome deliver(Webhook w, PolicyViolation v) throws InterruptedException {
        String body = body(w.format(), v);
        String failure = null;
        Duration backoff = retry.initialBackoff();
        for (int attempt = 1; attempt <= retry.attempts(); attempt++) {
            Duration wait = null;
            try {
                long ts = clock.instant().getEpochSecond();
                HttpRequest.Builder req = HttpRequest.newBuilder(w.url()).timeout(w.timeout()).header("Content-Type", "application/json")
                        .header("User-Agent", "llm-audit-notify").header("X-LlmAudit-Delivery", v.getViolationId())
                        .POST(HttpRequest.BodyPublishers.ofString(body));
                if (w.format() == Format.json && w.secret() != null) {
                    req.header("X-LlmAudit-Timestamp", Long.toString(ts)).header("X-LlmAudit-Signature", "sha256=" + signature(w.secret(), ts, body));
                }
                HttpResponse<java.io.InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
                String answer;
                try (java.io.InputStream in = r.body()) {
                    answer = new String(in.readNBytes(4096), StandardCharsets.UTF_8); // a reason, not whatever the receiver sends
                }
                int status = r.statusCode();
                if (status >= 200 && status < 300) {
                    return new Outcome(true, attempt, null);
                }
                failure = "HTTP " + status + excerpt(answer);
                if (!(status == 408 || status == 425 || status == 429 || status >= 500)) {
                    return new Outcome(false, attempt, failure + " (not retried: the receiver refused this message)");
                }
                wait = r.headers().firstValue("Retry-After").flatMap(Webhooks::seconds).orElse(null);
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (attempt < retry.attempts()) {
                Duration jittered = Duration.ofMillis(ThreadLocalRandom.current().nextLong(backoff.toMillis() + 1));
                Duration pause = wait != null ? wait : jittered;
                sleeper.sleep(pause.compareTo(retry.maxBackoff()) > 0 ? retry.maxBackoff() : pause);
                backoff = backoff.multipliedBy(2).compareTo(retry.maxBackoff()) > 0 ? retry.maxBackoff() : backoff.multipliedBy(2);
            }
        }
        return new Outcome(false, retry.attempts(), failure + " (after " + retry.attempts() + " attempts)");
    }

    private static java.util.Optional<Duration> seconds(String header) {
        try {
            long s = Long.parseLong(header.trim());
            return s >= 0 ? java.util.Optional.of(Duration.ofSeconds(s)) : java.util.Optional.empty();
        } catch (NumberFormatException e) {
            return java.util.Optional.empty(); // an HTTP date: use the backoff
        }
    }

    private static String excerpt(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String oneLine = body.replaceAll("\\s+", " ").trim();
        return ": " + (oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine);
    }

}
