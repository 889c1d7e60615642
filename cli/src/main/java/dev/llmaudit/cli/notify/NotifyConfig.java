package dev.llmaudit.cli.notify;

import dev.llmaudit.avro.Severity;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What {@code llm-audit notify} posts where, read once from YAML:
 * <pre>
 * group.id: llm-audit-notify          # committed offsets: what was posted survives restarts
 * start: latest                       # a new group starts at the end (latest) or replays history (earliest)
 * retry: {attempts: 6, initial.backoff: 1s, max.backoff: 60s}
 * webhooks:
 *   - name: secops
 *     url: https://hooks.example.com/llm-audit
 *     format: json                    # signed: X-LlmAudit-Signature: sha256=HMAC(secret, timestamp + "." + body)
 *     secret: ${env:SECOPS_WEBHOOK_SECRET}
 *     min.severity: high
 *     policies: [eu-residency]        # optional filters; a list matches any of its values
 *     tenants: [acme]
 *     kinds: [residency, budget]
 *   - name: finance-slack
 *     url: ${env:SLACK_WEBHOOK_URL}
 *     format: slack
 *     kinds: [budget]
 * </pre>
 * {@code ${env:NAME}} is replaced from the environment (an unset variable is an error). Unknown keys
 * are errors naming the webhook and the key.
 */
public record NotifyConfig(String groupId, String start, Retry retry, List<Webhook> webhooks) {
    /**
     * The longest one record can take: every webhook out of attempts, each attempt timing out and
     * followed by the longest pause. The consumer's poll interval is set above it, so a slow receiver
     * never costs the notifier its place in the group (which would hand the record to another run).
     */
    public Duration worstCasePerRecord() {
        Duration perHook = webhooks.stream().map(Webhook::timeout).max(Duration::compareTo).orElse(Duration.ZERO)
                .plus(retry.maxBackoff()).multipliedBy(retry.attempts());
        return perHook.multipliedBy(webhooks.size());
    }

    public enum Format { json, slack }

    public record Retry(int attempts, Duration initialBackoff, Duration maxBackoff) {}

    /** One receiver and the violations it wants. Null filter sets match everything. */
    public record Webhook(String name, URI url, Format format, String secret, Severity minSeverity, Set<String> policies,
                          Set<String> tenants, Set<String> kinds, Duration timeout) {
        @Override
        public String toString() {
            return "Webhook[" + name + " " + url.getScheme() + "://" + url.getHost() + " " + format + (secret == null ? "" : ", signed") + "]";
        }
    }

    private static final Set<String> TOP_KEYS = Set.of("group.id", "start", "retry", "webhooks");
    private static final Set<String> HOOK_KEYS = Set.of("name", "url", "format", "secret", "min.severity", "policies", "tenants", "kinds", "timeout");
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    public static NotifyConfig load(Path file, Map<String, String> env) throws IOException {
        try (Reader in = Files.newBufferedReader(file)) {
            Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            return parse(root, env, file.toString());
        }
    }

    @SuppressWarnings("unchecked")
    static NotifyConfig parse(Object root, Map<String, String> env, String source) {
        if (!(root instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException(source + ": expected a mapping with webhooks:");
        }
        unknown(top, TOP_KEYS, source);
        Map<String, Object> retry = top.get("retry") == null ? Map.of() : (Map<String, Object>) top.get("retry");
        unknown(retry, Set.of("attempts", "initial.backoff", "max.backoff"), source + ": retry");
        Retry r = new Retry(integer(retry.getOrDefault("attempts", 6), source + ": retry.attempts", 1, 20),
                duration(retry.getOrDefault("initial.backoff", "1s"), source + ": retry.initial.backoff"),
                duration(retry.getOrDefault("max.backoff", "60s"), source + ": retry.max.backoff"));
        String start = top.get("start") == null ? "latest" : String.valueOf(top.get("start"));
        if (!start.equals("latest") && !start.equals("earliest")) {
            throw new IllegalArgumentException(source + ": start must be latest or earliest, got " + start);
        }
        if (!(top.get("webhooks") instanceof List<?> hooks) || hooks.isEmpty()) {
            throw new IllegalArgumentException(source + ": webhooks: must list at least one webhook");
        }
        List<Webhook> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < hooks.size(); i++) {
            String where = source + ": webhooks[" + i + "]";
            if (!(hooks.get(i) instanceof Map<?, ?> h)) {
                throw new IllegalArgumentException(where + ": expected a mapping");
            }
            unknown(h, HOOK_KEYS, where);
            String name = text(h.get("name"), where + ".name", env);
            if (name == null || !names.add(name)) {
                throw new IllegalArgumentException(where + ".name: required and unique");
            }
            String url = text(h.get("url"), where + ".url", env);
            URI uri;
            try {
                uri = url == null ? null : new URI(url);
            } catch (java.net.URISyntaxException e) {
                uri = null; // the message must not repeat the URL: a Slack webhook URL is a secret
            }
            if (uri == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException(where + ".url: an http(s) URL with a host is required");
            }
            Format format;
            try {
                format = Format.valueOf(String.valueOf(h.containsKey("format") ? h.get("format") : "json").toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".format: json or slack");
            }
            Severity min = null;
            if (h.get("min.severity") != null) {
                try {
                    min = Severity.valueOf(String.valueOf(h.get("min.severity")).toLowerCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + ".min.severity: one of info, low, medium, high, critical");
                }
            }
            String secret = text(h.get("secret"), where + ".secret", env);
            if (secret != null && secret.isEmpty()) {
                throw new IllegalArgumentException(where + ".secret: empty (an unset variable?); leave the key out for unsigned posts");
            }
            Set<String> kinds = set(h.get("kinds"));
            if (kinds != null) {
                for (String k : kinds) {
                    try {
                        dev.llmaudit.avro.PolicyKind.valueOf(k);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(where + ".kinds: unknown kind " + k + " (known: "
                                + java.util.Arrays.toString(dev.llmaudit.avro.PolicyKind.values()) + ")");
                    }
                }
            }
            Duration timeout = duration(h.containsKey("timeout") ? h.get("timeout") : "10s", where + ".timeout");
            if (timeout.isZero() || timeout.compareTo(Duration.ofMinutes(2)) > 0) {
                throw new IllegalArgumentException(where + ".timeout: between 1 ms and 2 min, got " + timeout);
            }
            out.add(new Webhook(name, uri, format, secret, min, set(h.get("policies")), set(h.get("tenants")), kinds, timeout));
        }
        String group = top.get("group.id") == null ? "llm-audit-notify" : String.valueOf(top.get("group.id"));
        return new NotifyConfig(group, start, r, List.copyOf(out));
    }

    private static void unknown(Map<?, ?> m, Set<String> known, String where) {
        for (Object k : m.keySet()) {
            if (!known.contains(String.valueOf(k))) {
                throw new IllegalArgumentException(where + ": unknown key " + k + " (known: " + new java.util.TreeSet<>(known) + ")");
            }
        }
    }

    private static String text(Object v, String where, Map<String, String> env) {
        if (v == null) {
            return null;
        }
        Matcher m = ENV.matcher(String.valueOf(v));
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException(where + ": environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(b, Matcher.quoteReplacement(value));
        }
        m.appendTail(b);
        return b.toString();
    }

    private static Set<String> set(Object v) {
        if (v == null) {
            return null;
        }
        Set<String> s = new LinkedHashSet<>();
        if (v instanceof List<?> list) {
            list.forEach(x -> s.add(String.valueOf(x)));
        } else {
            s.add(String.valueOf(v));
        }
        return Set.copyOf(s);
    }

    private static int integer(Object v, String where, int min, int max) {
        try {
            int i = Integer.parseInt(String.valueOf(v));
            if (i < min || i > max) {
                throw new IllegalArgumentException(where + ": between " + min + " and " + max + ", got " + i);
            }
            return i;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": a whole number, got " + v);
        }
    }

    /** {@code 500ms}, {@code 10s}, {@code 2m}, or ISO-8601 ({@code PT10S}). */
    static Duration duration(Object v, String where) {
        String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("pt")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            Matcher m = Pattern.compile("(\\d{1,6})(ms|s|m)").matcher(s);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    default -> Duration.ofMinutes(n);
                };
            }
        } catch (RuntimeException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(where + ": a duration such as 500ms, 10s, 2m or PT10S, got " + v);
    }
}
