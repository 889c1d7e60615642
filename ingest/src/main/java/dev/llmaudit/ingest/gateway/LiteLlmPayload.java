package dev.llmaudit.ingest.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps LiteLLM's {@code StandardLoggingPayload} (as its {@code generic_api} logger posts it) to the
 * canonical event JSON, which then goes through the same validation as every other event. The
 * mapping is documented in ingest/README.md. Prompt and response text in the payload are never
 * kept: they are only hashed (HMAC) when the gateway has a key, then dropped.
 */
public final class LiteLlmPayload {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Pattern BEDROCK_HOST = Pattern.compile("bedrock-runtime(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com");
    private static final Pattern VERTEX_HOST = Pattern.compile("([a-z0-9-]+)-aiplatform\\.googleapis\\.com");

    private LiteLlmPayload() {}

    /** True when the object looks like a StandardLoggingPayload rather than a canonical event. */
    public static boolean looks(JsonNode n) {
        return n.isObject() && !n.has("event_id") && n.has("id") && n.has("call_type");
    }

    /**
     * @param hmac hashes text (prompt, response, user ids) with the gateway's key; returns null when no key is configured
     */
    public static ObjectNode toCanonical(JsonNode p, UnaryOperator<String> hmac) {
        ObjectNode e = JSON.objectNode();
        copy(p, "id", e, "event_id");
        JsonNode end = p.get("endTime");
        if (end != null && end.isNumber() && plausibleSeconds(end.decimalValue())) {
            e.put("event_time", epochSeconds(end.decimalValue()));
        } else if (end != null && end.isNumber()) {
            // Never turned into digits: 1e20000000 is a short number and a 20-million-digit one.
            e.put("event_time", "endTime " + dev.llmaudit.schemas.EventBounds.excerpt(end.asText()) + " is not epoch seconds");
        } else if (end != null) {
            e.set("event_time", end); // let validation explain what is wrong with it
        }
        JsonNode meta = p.path("metadata");
        JsonNode requester = meta.path("requester_metadata");
        JsonNode spendMeta = meta.path("spend_logs_metadata");
        String team = firstText(requester.path("team"), spendMeta.path("team"), meta.path("user_api_key_team_alias"), meta.path("user_api_key_team_id"));
        String app = firstText(requester.path("app"), spendMeta.path("app"), meta.path("user_api_key_alias"));
        putIf(e, "app", app);
        putIf(e, "team", team);
        putIf(e, "environment", firstText(requester.path("environment"), spendMeta.path("environment")));
        String user = firstText(p.path("end_user"), meta.path("user_api_key_user_id"));
        putIf(e, "user_hash", user == null ? null : hmac.apply(user));

        String model = firstText(p.path("hidden_params").path("litellm_model_name"), p.path("model"));
        String apiBase = firstText(p.path("api_base"), p.path("hidden_params").path("api_base"));
        Route route = route(model, apiBase);
        putIf(e, "provider", route.provider);
        putIf(e, "cloud", route.cloud);
        putIf(e, "region", firstText(requester.path("region"), spendMeta.path("region")) != null
                ? firstText(requester.path("region"), spendMeta.path("region")) : route.region);
        putIf(e, "deployment_scope", firstText(requester.path("deployment_scope"), spendMeta.path("deployment_scope")) != null
                ? firstText(requester.path("deployment_scope"), spendMeta.path("deployment_scope")) : route.scope);
        putIf(e, "endpoint", host(apiBase));
        putIf(e, "operation", operation(p.path("call_type").asText("")));
        putIf(e, "request_model", route.model);
        copy(p, "prompt_tokens", e, "input_tokens");
        copy(p, "completion_tokens", e, "output_tokens");
        JsonNode start = p.get("startTime");
        if (start != null && start.isNumber() && end != null && end.isNumber() && plausibleSeconds(start.decimalValue())
                && plausibleSeconds(end.decimalValue())) {
            e.put("latency_ms", millisBetween(start.decimalValue(), end.decimalValue()));
            JsonNode first = p.get("completionStartTime");
            boolean streaming = p.path("stream").asBoolean(p.path("model_parameters").path("stream").asBoolean(false));
            e.put("streaming", streaming);
            if (streaming && first != null && first.isNumber() && plausibleSeconds(first.decimalValue())) {
                e.put("time_to_first_token_ms", millisBetween(start.decimalValue(), first.decimalValue()));
            }
        }
        boolean failed = "failure".equals(p.path("status").asText());
        e.put("status", failed ? "error" : "ok");
        if (failed) {
            JsonNode info = p.path("error_information");
            putIf(e, "error_type", firstText(info.path("error_class"), info.path("error_code")));
            String code = info.path("error_code").asText("");
            if (code.matches("[1-5]\\d\\d")) {
                e.put("http_status", Integer.parseInt(code));
            }
        }
        putIf(e, "data_classification", firstText(requester.path("data_classification"), spendMeta.path("data_classification")));
        putIf(e, "data_residency", firstText(requester.path("data_residency"), spendMeta.path("data_residency")));
        JsonNode cost = p.get("response_cost");
        if (cost != null && cost.isNumber()) {
            ObjectNode money = e.putObject("reported_cost");
            BigDecimal amount = cost.decimalValue();
            if (amount.scale() <= 40 && (long) amount.precision() - amount.scale() <= dev.llmaudit.schemas.EventBounds.MAX_MONEY_INTEGER_DIGITS) {
                // LiteLLM computes response_cost as a binary float; its digits past the 12th decimal are float noise.
                money.put("amount", amount.setScale(12, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString());
            } else {
                // Out of any sane range: handed on as written (bounded), for validation to refuse, never expanded.
                money.put("amount", dev.llmaudit.schemas.EventBounds.excerpt(cost.asText(), 40));
            }
            money.put("currency", "USD");
        } else if (cost != null && !cost.isNull()) {
            e.putObject("reported_cost").set("amount", cost);
            ((ObjectNode) e.get("reported_cost")).put("currency", "USD");
        }
        putIf(e, "prompt_hash", text(p.get("messages")) == null ? null : hmac.apply(text(p.get("messages"))));
        putIf(e, "response_hash", text(p.get("response")) == null ? null : hmac.apply(text(p.get("response"))));
        String trace = p.path("trace_id").asText("").replace("-", "").toLowerCase(Locale.ROOT);
        if (trace.matches("[0-9a-f]{32}")) {
            e.put("trace_id", trace);
        }
        e.put("source", "litellm");
        ObjectNode tags = JSON.objectNode();
        p.path("request_tags").forEach(t -> {
            String s = t.asText();
            int sep = Math.max(s.indexOf(':'), s.indexOf('='));
            if (sep > 0) {
                tags.put(s.substring(0, sep), s.substring(sep + 1));
            } else if (!s.isEmpty()) {
                tags.put(s, "true");
            }
        });
        if (tags.size() > 0) {
            e.set("tags", tags);
        }
        return e;
    }

    /** Cloud, provider, region, scope and model id derived from LiteLLM's model name and API base. */
    record Route(String cloud, String provider, String region, String scope, String model) {}

    static Route route(String model, String apiBase) {
        String m = model == null ? "" : model;
        String host = host(apiBase);
        String cloud = null;
        String provider = null;
        String region = null;
        String scope = null;
        String id = m;
        int slash = m.indexOf('/');
        String prefix = slash > 0 ? m.substring(0, slash) : "";
        if (prefix.equals("azure") || prefix.equals("azure_ai") || (host != null && host.endsWith(".azure.com"))) {
            cloud = "azure";
            provider = prefix.equals("azure_ai") ? "azure.ai.inference" : "azure.ai.openai";
            String rest = slash > 0 ? m.substring(slash + 1) : m;
            if (rest.startsWith("eu/") || rest.startsWith("us/")) {
                scope = "data_zone";
                rest = rest.substring(3);
            } else if (rest.startsWith("global/") || rest.startsWith("global-standard/")) {
                scope = "global";
                rest = rest.substring(rest.indexOf('/') + 1);
            }
            id = rest;
        } else if (prefix.startsWith("bedrock") || (host != null && host.contains("bedrock"))) {
            cloud = "aws";
            provider = "aws.bedrock";
            id = slash > 0 ? m.substring(m.lastIndexOf('/') + 1) : m;
            Matcher h = host == null ? null : BEDROCK_HOST.matcher(host);
            if (h != null && h.matches()) {
                region = h.group(1);
            }
            if (id.startsWith("global.")) {
                scope = "global";
            } else if (id.matches("(us|eu|apac|au|jp|ca|us-gov)\\..+\\..+")) {
                scope = "data_zone";
            }
        } else if (prefix.startsWith("vertex_ai") || (host != null && host.endsWith("aiplatform.googleapis.com"))) {
            cloud = "gcp";
            provider = "gcp.vertex_ai";
            id = slash > 0 ? m.substring(slash + 1) : m;
            Matcher h = host == null ? null : VERTEX_HOST.matcher(host);
            if (h != null && h.matches()) {
                region = h.group(1);
            } else if ("aiplatform.googleapis.com".equals(host)) {
                region = "global";
            }
        } else if (prefix.equals("gemini") || (host != null && host.equals("generativelanguage.googleapis.com"))) {
            cloud = "gcp";
            provider = "gcp.gemini";
            id = slash > 0 ? m.substring(slash + 1) : m;
        } else if (prefix.equals("anthropic") || (host != null && host.equals("api.anthropic.com"))) {
            cloud = "anthropic";
            provider = "anthropic";
            id = slash > 0 ? m.substring(slash + 1) : m;
        } else if (prefix.equals("openai") || prefix.isEmpty() || (host != null && host.endsWith("api.openai.com"))) {
            cloud = "openai";
            provider = "openai";
            id = slash > 0 ? m.substring(slash + 1) : m;
            if (host != null && host.startsWith("eu.api.openai.com")) {
                region = "eu";
            }
        } else {
            cloud = "other";
            provider = prefix;
        }
        return new Route(cloud, provider, region, scope, id.isEmpty() ? null : id);
    }

    static String operation(String callType) {
        String t = callType.startsWith("a") && !callType.equals("anthropic_messages") ? callType.substring(1) : callType;
        return switch (t) {
            case "completion", "anthropic_messages" -> "chat";
            case "text_completion" -> "text_completion";
            case "embedding" -> "embeddings";
            case "responses" -> "responses";
            case "generate_content" -> "generate_content";
            default -> callType.isEmpty() ? null : "other";
        };
    }

    /** Epoch seconds between 0 and the year ~5138, at most nanosecond digits: safe to do arithmetic with. */
    static boolean plausibleSeconds(BigDecimal seconds) {
        return seconds.signum() >= 0 && seconds.scale() <= 9 && (long) seconds.precision() - seconds.scale() <= 11;
    }

    private static String epochSeconds(BigDecimal seconds) {
        BigDecimal micros = seconds.movePointRight(6).setScale(0, java.math.RoundingMode.DOWN);
        long m = micros.longValue();
        Instant t = Instant.ofEpochSecond(Math.floorDiv(m, 1_000_000), Math.floorMod(m, 1_000_000) * 1000L);
        return DateTimeFormatter.ISO_INSTANT.format(t);
    }

    private static long millisBetween(BigDecimal from, BigDecimal to) {
        return Math.max(0, to.subtract(from).movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP).longValue());
    }

    private static String host(String url) {
        if (url == null || url.isBlank()) {
            return null;
        }
        try {
            return URI.create(url.trim()).getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        return n.isTextual() ? n.asText() : n.toString();
    }

    private static String firstText(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n != null && n.isValueNode() && !n.isNull() && !n.asText().isEmpty()) {
                return n.asText();
            }
        }
        return null;
    }

    private static void putIf(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    /** Copies a value as it is (validation of the canonical event then names the field if its type is wrong). */
    private static void copy(JsonNode from, String f, ObjectNode to, String t) {
        JsonNode v = from.get(f);
        if (v != null && !v.isNull()) {
            to.set(t, v);
        }
    }
}
