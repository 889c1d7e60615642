package dev.llmaudit.cli.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.http.Exchange;
import dev.llmaudit.http.HttpService;
import dev.llmaudit.http.ListenerSettings;
import dev.llmaudit.http.Routes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The web console: static pages and a small JSON API over {@link ConsoleData}, on the shared HTTP
 * module. Roles: {@code finance} sees spend, budgets and savings; {@code security} sees violations
 * and the dead-letter topic; {@code admin} both. Bound to a loopback address without tokens, every
 * visitor is admin (a local look); with a token file, or bound elsewhere (which requires one), every
 * API call needs {@code Authorization: Bearer <token>} of a known role. Pages and assets carry no data.
 */
public final class ConsoleServer implements AutoCloseable {
    public enum Role { finance, security, admin }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";

    private final ConsoleData data;
    private final Map<String, Role> tokens;
    private final HttpService http;
    private final java.util.function.Supplier<ConsoleFeed.Health> health;

    private ConsoleServer(ConsoleData data, Map<String, Role> tokens, ListenerSettings listener,
                          java.util.function.Supplier<ConsoleFeed.Health> health) {
        this.data = data;
        this.tokens = tokens;
        this.health = health;
        Routes routes = Routes.builder()
                .get("/", ex -> asset(ex, "console/index.html", "text/html; charset=utf-8"))
                .get("/assets/app.js", ex -> asset(ex, "console/app.js", "text/javascript; charset=utf-8"))
                .get("/assets/app.css", ex -> asset(ex, "console/app.css", "text/css; charset=utf-8"))
                .get("/assets/echarts.min.js", ex -> asset(ex, ECHARTS, "text/javascript; charset=utf-8"))
                .get("/api/me", ex -> api(ex, null, () -> JSON.createObjectNode().put("role", role(ex).name())))
                .get("/api/version", ex -> api(ex, null, this::version))
                .get("/api/spend", ex -> api(ex, Role.finance, () -> spend(ex.query("by"))))
                .get("/api/budgets", ex -> api(ex, Role.finance, this::budgets))
                .get("/api/savings", ex -> api(ex, Role.finance, this::savings))
                .get("/api/violations", ex -> api(ex, Role.security, () -> violations(ex)))
                .get("/api/dlq", ex -> api(ex, Role.security, this::deadLetters))
                .notFound("the console serves /, /assets/* and /api/*").build();
        this.http = HttpService.start(new HttpService.Listener(listener, routes));
    }

    /** On a loopback address without TLS, as {@code llm-audit local} and tests run it. */
    public static ConsoleServer start(ConsoleData data, Map<String, Role> tokens, String host, int port) {
        return start(data, tokens, ListenerSettings.api("console", host, port), () -> null);
    }

    /**
     * @param tokens SHA-256 (hex) of each token -> its role; empty = no authentication, allowed on a loopback host only
     * @param health the feed's health, shown by the page (null = not known)
     */
    public static ConsoleServer start(ConsoleData data, Map<String, Role> tokens, ListenerSettings listener,
                                      java.util.function.Supplier<ConsoleFeed.Health> health) {
        if (!loopback(listener.host())) {
            if (tokens.isEmpty()) {
                throw new IllegalArgumentException("the console binds to " + listener.host() + ", which is not a loopback address: give --tokens"
                        + " FILE (llm-audit console new-token --role finance|security|admin --tokens FILE) so that only token holders see the data");
            }
            if (listener.tls() == null) {
                throw new IllegalArgumentException("the console binds to " + listener.host() + " without TLS: tokens would cross the network"
                        + " in clear; give console.tls.keystore in --http-config (or LLM_AUDIT_CONSOLE_HTTP_TLS_KEYSTORE)");
            }
        }
        return new ConsoleServer(data, Map.copyOf(tokens), listener, health);
    }

    private ObjectNode version() {
        ObjectNode o = JSON.createObjectNode().put("version", data.version());
        ConsoleFeed.Health h = health.get();
        if (h != null) {
            o.put("feed_ok", h.ok()).put("feed_error", h.error()).put("undecodable", h.undecodable())
                    .put("last_read", h.lastRead() == null ? null : h.lastRead().toString());
        }
        o.set("dropped", JSON.valueToTree(data.dropped()));
        return o;
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return http.port("console");
    }

    public static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The caller's role, or null when a token is needed and missing or unknown. */
    private Role role(Exchange ex) {
        if (tokens.isEmpty()) {
            return Role.admin;
        }
        String auth = ex.header("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) {
            return null;
        }
        return tokens.get(sha256(auth.substring("Bearer ".length()).trim()));
    }

    private interface Body {
        Object get() throws IOException;
    }

    /**
     * Without tokens every visitor is admin, so the request must name this machine: a page elsewhere that
     * points its own host name at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
     */
    private boolean localHostHeader(Exchange ex) {
        String host = ex.header("Host");
        if (host == null) {
            return false;
        }
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host.contains(":") ? host.substring(0, host.indexOf(':')) : host;
        return Set.of("127.0.0.1", "localhost", "[::1]").contains(name.toLowerCase(Locale.ROOT));
    }

    private void api(Exchange ex, Role needed, Body body) {
        if (tokens.isEmpty() && !localHostHeader(ex)) {
            ex.json(403, Exchange.error("without tokens the console answers only requests for 127.0.0.1 or localhost"));
            return;
        }
        Role role = role(ex);
        if (role == null) {
            ex.header("WWW-Authenticate", "Bearer").json(401, Exchange.error("a console token is needed: Authorization: Bearer <token>"));
            return;
        }
        if (needed != null && role != Role.admin && role != needed) {
            ex.json(403, Exchange.error("the " + role + " role does not see this; it needs " + needed));
            return;
        }
        try {
            ex.header("Cache-Control", "no-store").json(200, JSON.writeValueAsString(body.get()));
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            ex.json(400, Exchange.error(e.getMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void asset(Exchange ex, String resource, String type) {
        try (InputStream in = ConsoleServer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                ex.json(404, Exchange.error("missing asset " + resource));
                return;
            }
            ex.header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
                    .header("X-Content-Type-Options", "nosniff").respond(200, type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ArrayNode spend(String by) {
        String dimension = by == null ? "cloud" : by;
        if (!Set.of("cloud", "team", "model").contains(dimension)) {
            throw new IllegalArgumentException("by must be cloud, team or model");
        }
        ArrayNode out = JSON.createArrayNode();
        for (ConsoleData.SpendPoint p : data.spend(dimension)) {
            out.addObject().put("hour", p.hour().toString()).put("key", p.key()).put("cost", p.cost().stripTrailingZeros().toPlainString())
                    .put("currency", p.currency()).put("provisional", p.provisional()).put("unpriced_calls", p.unpricedCalls());
        }
        return out;
    }

    private ArrayNode budgets() {
        ArrayNode out = JSON.createArrayNode();
        for (BudgetStatus b : data.budgets()) {
            out.addObject().put("budget_id", b.getBudgetId()).put("scope", new java.util.TreeMap<>(b.getScope()).toString())
                    .put("period", b.getPeriod().name()).put("period_start", b.getPeriodStart().toString())
                    .put("spent", b.getSpent().getAmount().stripTrailingZeros().toPlainString())
                    .put("limit", b.getLimit().getAmount().stripTrailingZeros().toPlainString()).put("currency", b.getSpent().getCurrency())
                    .put("percent", b.getLimit().getAmount().signum() == 0 ? null
                            : b.getSpent().getAmount().multiply(java.math.BigDecimal.valueOf(100))
                                    .divide(b.getLimit().getAmount(), 1, java.math.RoundingMode.HALF_UP).toPlainString())
                    .put("unpriced_calls", b.getUnpricedCalls());
        }
        return out;
    }

    private ArrayNode savings() {
        ArrayNode out = JSON.createArrayNode();
        for (ConsoleData.Saving s : data.savings()) {
            out.addObject().put("team", s.team()).put("model", s.model()).put("currency", s.currency())
                    .put("cost", s.cost().stripTrailingZeros().toPlainString())
                    .put("compared_cost", s.comparedCost().stripTrailingZeros().toPlainString())
                    .put("cheapest_compliant", s.alternative().stripTrailingZeros().toPlainString())
                    .put("saving", s.saving().stripTrailingZeros().toPlainString()).put("calls", s.calls())
                    .put("calls_without_alternative", s.withoutAlternative());
        }
        return out;
    }

    private ObjectNode violations(Exchange ex) {
        String severity = ex.query("severity");
        String policy = ex.query("policy");
        String tenant = ex.query("tenant");
        String cloud = ex.query("cloud");
        String since = ex.query("since");
        Instant from;
        try {
            from = since == null || since.isBlank() ? null : Instant.parse(since);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("since must be an instant such as 2026-12-01T00:00:00Z, got " + since);
        }
        List<String> order = List.of("info", "low", "medium", "high", "critical");
        if (!blank(severity) && !order.contains(severity)) {
            throw new IllegalArgumentException("severity must be one of " + order + ", got " + severity);
        }
        Predicate<PolicyViolation> filter = v -> (blank(severity) || order.indexOf(v.getSeverity().name()) >= order.indexOf(severity))
                && (blank(policy) || policy.equals(v.getPolicyId())) && (blank(tenant) || tenant.equals(v.getTenant()))
                && (blank(cloud) || (v.getCloud() != null && cloud.equals(v.getCloud().name())))
                && (from == null || !v.getDetectedAt().isBefore(from));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode rows = out.putArray("violations");
        for (PolicyViolation v : data.violations(filter, 500)) {
            ObjectNode o = rows.addObject().put("violation_id", v.getViolationId()).put("detected_at", v.getDetectedAt().toString())
                    .put("severity", v.getSeverity().name()).put("policy_id", v.getPolicyId()).put("kind", v.getPolicyKind().name())
                    .put("tenant", v.getTenant()).put("team", v.getTeam()).put("cloud", v.getCloud() == null ? null : v.getCloud().name())
                    .put("region", v.getRegion()).put("model", v.getModel()).put("message", v.getMessage()).put("event_id", v.getEventId());
            ObjectNode details = o.putObject("details");
            v.getDetails().forEach(details::put);
        }
        out.set("dropped", JSON.valueToTree(data.dropped()));
        return out;
    }

    private ArrayNode deadLetters() {
        ArrayNode out = JSON.createArrayNode();
        for (ConsoleData.DeadLetterView d : data.deadLetters(500)) {
            out.addObject().put("failed_at", d.failedAt().toString()).put("stage", d.stage()).put("error", d.error())
                    .put("reason", d.reason()).put("source", d.source());
        }
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Reads {@code <sha256> <role>} lines (comments with #). */
    public static Map<String, Role> loadTokens(java.nio.file.Path file) throws IOException {
        Map<String, Role> out = new java.util.HashMap<>();
        if (!java.nio.file.Files.isReadable(file)) {
            throw new IllegalArgumentException(file + ": no such tokens file (make one with llm-audit console new-token --role ... --tokens "
                    + file + ")");
        }
        int n = 0;
        for (String line : java.nio.file.Files.readAllLines(file)) {
            n++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] parts = l.split("\\s+");
            try {
                if (parts.length != 2 || parts[0].length() != 64) {
                    throw new IllegalArgumentException();
                }
                out.put(parts[0].toLowerCase(Locale.ROOT), Role.valueOf(parts[1]));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + n + ": expected '<sha256 hex> finance|security|admin'");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": no tokens in it; an empty file would mean no authentication");
        }
        return out;
    }

    @Override
    public void close() {
        http.close();
    }
}
