package dev.llmaudit.policy.litellm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns LiteLLM's community price list ({@code model_prices_and_context_window.json}) into
 * llm-audit price entries. Key shapes mapped:
 * <ul>
 *   <li>plain OpenAI names ({@code gpt-5.5}) -> openai, global;</li>
 *   <li>{@code azure/<m>} -> azure, any scope; {@code azure/eu|us/<m>} -> azure data zone eu|us;
 *       {@code azure/global|global-standard/<m>} -> azure global; {@code azure_ai/<m>} -> azure (Foundry models), any scope;</li>
 *   <li>{@code bedrock/<region>/<m>} -> aws regional in that region; Bedrock ids with an inference-profile
 *       prefix ({@code us.}, {@code eu.}, {@code apac.}, {@code au.}, {@code jp.}, {@code us-gov.}) -> aws data zone,
 *       {@code global.} -> aws global, plain ids -> aws regional in any region ({@code bedrock}, {@code bedrock_converse});
 *       {@code bedrock_mantle/<m>} -> aws regional (Bedrock's OpenAI-compatible endpoint);</li>
 *   <li>{@code vertex_ai...} -> gcp (Vertex), per {@code supported_regions} when given, else any scope;
 *       {@code gemini/<m>} -> gcp (Gemini API), global; Anthropic's own API -> anthropic, global.</li>
 * </ul>
 * Everything else is skipped with a reason: other providers, non-token pricing (images, audio,
 * rerank, ...), provisioned-throughput commitments, entries without token prices, duplicates.
 * Prices become exact decimals per million tokens (the JSON text is read as a decimal, never a double).
 */
public final class LiteLlmImporter {
    /**
     * One imported price. Prices per million tokens.
     *
     * @param plain the source key named no scope (LiteLLM's plain {@code azure/<m>}, a Bedrock id without a
     *     profile or region, a Vertex model without regions): which scope its price holds for is a scope rule's call
     * @param rule the scope rule that derived it, or null for a published price
     */
    public record Entry(String cloud, String provider, String model, String region, String scope, String zone,
                        BigDecimal input, BigDecimal output, BigDecimal cachedInput, BigDecimal reasoning, String sourceKey,
                        boolean plain, String rule) {
        public Entry(String cloud, String provider, String model, String region, String scope, String zone, BigDecimal input,
                     BigDecimal output, BigDecimal cachedInput, BigDecimal reasoning, String sourceKey) {
            this(cloud, provider, model, region, scope, zone, input, output, cachedInput, reasoning, sourceKey, false, null);
        }

        String coverage() {
            return cloud + "|" + model + "|" + region + "|" + scope + "|" + zone;
        }

        Entry plain(boolean p) {
            return new Entry(cloud, provider, model, region, scope, zone, input, output, cachedInput, reasoning, sourceKey, p, rule);
        }

        Entry at(String newScope, String newRegion, String newZone) {
            return new Entry(cloud, provider, model, newRegion, newScope, newZone, input, output, cachedInput, reasoning, sourceKey, plain, rule);
        }
    }

    /** One skipped key and why. */
    public record Skipped(String key, String reason) {}

    /** What an import produced. */
    public record Result(List<Entry> entries, List<Skipped> skipped) {
        /** Skip counts by reason, most frequent first. */
        public Map<String, List<String>> skippedByReason() {
            Map<String, List<String>> keys = new HashMap<>();
            for (Skipped s : skipped) {
                keys.computeIfAbsent(category(s.reason()), k -> new ArrayList<>()).add(s.key());
            }
            Map<String, List<String>> sorted = new LinkedHashMap<>();
            keys.entrySet().stream()
                    .sorted(Comparator.comparing((Map.Entry<String, List<String>> e) -> -e.getValue().size()).thenComparing(Map.Entry::getKey))
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return sorted;
        }

        /** The reason without the key-specific part, for grouping. */
        static String category(String reason) {
            if (reason.startsWith("duplicate of")) {
                return "same cloud, model, region and scope as a key already imported (provider priority, then file order)";
            }
            if (reason.startsWith("provider")) {
                return "provider is not a cloud llm-audit prices (azure, aws, gcp, openai, anthropic)";
            }
            if (reason.startsWith("mode")) {
                return "not priced per token (images, audio, rerank, video, ...)";
            }
            return reason;
        }
    }

    static final Set<String> TOKEN_MODES = Set.of("chat", "completion", "responses", "embedding");
    /** Providers we price, in the order duplicates are resolved (first wins). */
    static final List<String> PROVIDER_ORDER = List.of("openai", "azure", "azure_ai", "bedrock_converse", "bedrock", "bedrock_mantle",
            "vertex_ai", "gemini", "anthropic");
    private static final Pattern AWS_REGION = Pattern.compile("(?:us-gov|[a-z]{2})-[a-z]+-\\d");
    private static final Pattern PROFILE = Pattern.compile("^(us|eu|apac|au|jp|ca|us-gov|global)\\.(.+)$");
    private static final BigDecimal MILLION = BigDecimal.ONE.movePointRight(6);

    private LiteLlmImporter() {}

    public static Result importFrom(InputStream json) throws IOException {
        return importFrom(json, List.of());
    }

    /**
     * Imports, then applies the scope rules (catalog/scope-rules.yaml): a rule's {@code source_scope}
     * says which scope the source's plain keys price (they then price only that scope, never another),
     * {@code source_regions} which regions a plain regional price holds in, and its derivations add the
     * prices of other scopes where the source has no entry of its own for them. Nothing falls back to
     * another scope's price: a scope with neither a published price nor a rule stays unpriced.
     */
    public static Result importFrom(InputStream json, List<dev.llmaudit.policy.catalog.ScopeRule> rules) throws IOException {
        JsonNode root = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build().readTree(json);
        if (root == null || !root.isObject()) {
            throw new IOException("not a LiteLLM price file: expected a JSON object of model entries");
        }
        List<Map.Entry<String, JsonNode>> items = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            items.add(it.next());
        }
        // Stable, documented duplicate resolution: provider priority, then file order.
        Map<String, Integer> fileOrder = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            fileOrder.put(items.get(i).getKey(), i);
        }
        items.sort(Comparator.comparingInt((Map.Entry<String, JsonNode> e) -> providerRank(e.getValue()))
                .thenComparingInt(e -> fileOrder.get(e.getKey())));

        List<Entry> entries = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        Map<String, Entry> byCoverage = new HashMap<>();
        for (Map.Entry<String, JsonNode> item : items) {
            String key = item.getKey();
            JsonNode v = item.getValue();
            if (key.equals("sample_spec")) {
                skipped.add(new Skipped(key, "documentation entry, not a model"));
                continue;
            }
            List<Entry> mapped = new ArrayList<>();
            String reason = map(key, v, mapped);
            if (reason != null) {
                skipped.add(new Skipped(key, reason));
                continue;
            }
            for (Entry e : mapped) {
                Entry first = byCoverage.putIfAbsent(e.coverage(), e);
                if (first != null) {
                    boolean samePrice = first.input().compareTo(e.input()) == 0 && first.output().compareTo(e.output()) == 0;
                    skipped.add(new Skipped(key, "duplicate of " + first.sourceKey() + (samePrice ? " (same price)" : " (different price; first kept)")));
                    continue;
                }
                entries.add(e);
            }
        }
        if (!rules.isEmpty()) {
            entries = applyRules(entries, rules, skipped);
        }
        entries.sort(Comparator.comparing(Entry::cloud).thenComparing(Entry::model).thenComparing(e -> String.valueOf(e.scope()))
                .thenComparing(e -> String.valueOf(e.zone())).thenComparing(e -> String.valueOf(e.region())));
        return new Result(entries, skipped);
    }

    private static dev.llmaudit.policy.catalog.ScopeRule ruleFor(Entry e, List<dev.llmaudit.policy.catalog.ScopeRule> rules) {
        for (dev.llmaudit.policy.catalog.ScopeRule r : rules) {
            if (r.applies(e.cloud(), e.provider(), e.model())) {
                return r;
            }
        }
        return null;
    }

    static List<Entry> applyRules(List<Entry> imported, List<dev.llmaudit.policy.catalog.ScopeRule> rules, List<Skipped> skipped) {
        // 1. Plain keys: the scope (or regions) their price holds for. Explicit keys of that coverage win over them.
        List<Entry> explicit = new ArrayList<>();
        List<Entry> plain = new ArrayList<>();
        for (Entry e : imported) {
            (e.plain() ? plain : explicit).add(e);
        }
        Map<String, Entry> byCoverage = new LinkedHashMap<>();
        explicit.forEach(e -> byCoverage.put(e.coverage(), e));
        for (Entry e : plain) {
            dev.llmaudit.policy.catalog.ScopeRule r = ruleFor(e, rules);
            List<Entry> placed = new ArrayList<>();
            if (r != null && r.sourceScope() != null) {
                placed.add(e.at(r.sourceScope().id(), null, null));
            } else if (r != null && r.sourceRegions() != null) {
                r.sourceRegions().forEach(region -> placed.add(e.at("regional", region, null)));
            } else {
                placed.add(e);
            }
            for (Entry p : placed) {
                Entry first = byCoverage.putIfAbsent(p.coverage(), p);
                if (first != null) {
                    boolean samePrice = first.input().compareTo(p.input()) == 0 && first.output().compareTo(p.output()) == 0;
                    skipped.add(new Skipped(p.sourceKey(), "duplicate of " + first.sourceKey() + (samePrice ? " (same price)"
                            : " (different price; the key naming the scope kept" + (r == null ? ")" : ": rule " + r.id() + ")"))));
                }
            }
        }
        // 2. Derived scopes, from each model's published base scope, where nothing of that coverage is published.
        Map<String, Entry> out = new LinkedHashMap<>(byCoverage);
        for (Entry base : byCoverage.values()) {
            dev.llmaudit.policy.catalog.ScopeRule r = ruleFor(base, rules);
            if (r == null || base.region() != null || base.zone() != null) {
                continue;
            }
            for (dev.llmaudit.policy.catalog.ScopeRule.Derivation d : r.derive()) {
                if (!d.from().id().equals(base.scope())) {
                    continue;
                }
                List<Entry> targets = new ArrayList<>();
                if (!d.zones().isEmpty()) {
                    d.zones().forEach(z -> targets.add(base.at(d.scope().id(), null, z)));
                } else if (!d.regions().isEmpty()) {
                    d.regions().forEach(region -> targets.add(base.at(d.scope().id(), region, null)));
                } else {
                    targets.add(base.at(d.scope().id(), null, null));
                }
                for (Entry t : targets) {
                    if (out.containsKey(t.coverage())) {
                        continue; // published for that scope: the source wins
                    }
                    out.put(t.coverage(), new Entry(t.cloud(), t.provider(), t.model(), t.region(), t.scope(), t.zone(),
                            times(base.input(), d.factor()), times(base.output(), d.factor()), times(base.cachedInput(), d.factor()),
                            times(base.reasoning(), d.factor()), base.sourceKey(), false, r.id()));
                }
            }
        }
        return new ArrayList<>(out.values());
    }

    private static BigDecimal times(BigDecimal price, BigDecimal factor) {
        if (price == null) {
            return null;
        }
        BigDecimal v = price.multiply(factor).stripTrailingZeros();
        return v.signum() == 0 ? BigDecimal.ZERO : v;
    }

    private static int providerRank(JsonNode v) {
        String p = v.path("litellm_provider").asText("");
        if (p.startsWith("vertex_ai")) {
            p = "vertex_ai";
        }
        int i = PROVIDER_ORDER.indexOf(p);
        return i < 0 ? PROVIDER_ORDER.size() : i;
    }

    /** Maps one key; returns a skip reason, or null with entries added. */
    static String map(String key, JsonNode v, List<Entry> out) {
        String provider = v.path("litellm_provider").asText("");
        String family = provider.startsWith("vertex_ai") ? "vertex_ai" : provider;
        if (!PROVIDER_ORDER.contains(family)) {
            return "provider \"" + provider + "\" is not a cloud llm-audit prices (azure, aws, gcp, openai, anthropic)";
        }
        String mode = v.path("mode").asText("");
        if (!TOKEN_MODES.contains(mode)) {
            return "mode \"" + mode + "\" is not priced per token";
        }
        BigDecimal input = perMillion(v.get("input_cost_per_token"));
        BigDecimal output = perMillion(v.get("output_cost_per_token"));
        if (input == null) {
            return "no input_cost_per_token";
        }
        if (output == null) {
            output = mode.equals("embedding") ? BigDecimal.ZERO : null;
            if (output == null) {
                return "no output_cost_per_token";
            }
        }
        BigDecimal cached = perMillion(v.get("cache_read_input_token_cost"));
        BigDecimal reasoning = perMillion(v.get("output_cost_per_reasoning_token"));
        switch (family) {
            case "openai" -> {
                if (key.contains("/")) {
                    return "unrecognised OpenAI key shape";
                }
                out.add(new Entry("openai", "openai", key, null, "global", null, input, output, cached, reasoning, key));
            }
            case "anthropic" -> {
                String model = key.startsWith("anthropic/") ? key.substring("anthropic/".length()) : key;
                if (model.contains("/")) {
                    return "unrecognised Anthropic key shape";
                }
                out.add(new Entry("anthropic", "anthropic", model, null, "global", null, input, output, cached, reasoning, key));
            }
            case "azure", "azure_ai" -> {
                String[] parts = key.split("/");
                String p = family.equals("azure") ? "azure.ai.openai" : "azure.ai.inference";
                if (parts.length == 2) {
                    out.add(new Entry("azure", p, parts[1], null, "any", null, input, output, cached, reasoning, key).plain(true));
                } else if (parts.length == 3 && family.equals("azure") && (parts[1].equals("eu") || parts[1].equals("us"))) {
                    out.add(new Entry("azure", p, parts[2], null, "data_zone", parts[1], input, output, cached, reasoning, key));
                } else if (parts.length == 3 && (parts[1].equals("global") || parts[1].equals("global-standard"))) {
                    out.add(new Entry("azure", p, parts[2], null, "global", null, input, output, cached, reasoning, key));
                } else {
                    return "unrecognised Azure key shape";
                }
            }
            case "bedrock", "bedrock_converse" -> {
                String k = key;
                if (k.startsWith("bedrock/invoke/")) {
                    k = k.substring("bedrock/invoke/".length());
                }
                String region = null;
                if (k.startsWith("bedrock/")) {
                    String[] parts = k.split("/");
                    if (parts.length >= 3 && (parts[2].endsWith("-commitment") || parts[1].equals("*"))) {
                        return "provisioned-throughput commitment, not on-demand per-token pricing";
                    }
                    if (parts.length == 3 && AWS_REGION.matcher(parts[1]).matches()) {
                        region = parts[1];
                        k = parts[2];
                    } else if (parts.length == 2) {
                        k = parts[1];
                    } else {
                        return "unrecognised Bedrock key shape";
                    }
                }
                if (k.contains("/")) {
                    return "unrecognised Bedrock key shape";
                }
                addBedrock(k, region, input, output, cached, reasoning, key, out);
            }
            case "bedrock_mantle" -> {
                String model = key.startsWith("bedrock_mantle/") ? key.substring("bedrock_mantle/".length()) : key;
                out.add(new Entry("aws", "aws.bedrock", model, null, "regional", null, input, output, cached, reasoning, key).plain(true));
            }
            case "vertex_ai" -> {
                String model = key.startsWith("vertex_ai/") ? key.substring("vertex_ai/".length()) : key;
                JsonNode regions = v.get("supported_regions");
                if (regions != null && regions.isArray() && regions.size() > 0) {
                    for (JsonNode r : regions) {
                        String region = r.asText();
                        if (region.equals("global")) {
                            out.add(new Entry("gcp", "gcp.vertex_ai", model, null, "global", null, input, output, cached, reasoning, key));
                        } else {
                            out.add(new Entry("gcp", "gcp.vertex_ai", model, region, "regional", null, input, output, cached, reasoning, key));
                        }
                    }
                } else {
                    out.add(new Entry("gcp", "gcp.vertex_ai", model, null, "any", null, input, output, cached, reasoning, key).plain(true));
                }
            }
            case "gemini" -> {
                String model = key.startsWith("gemini/") ? key.substring("gemini/".length()) : key;
                out.add(new Entry("gcp", "gcp.gemini", model, null, "global", null, input, output, cached, reasoning, key));
            }
            default -> {
                return "provider \"" + provider + "\" is not mapped";
            }
        }
        return null;
    }

    private static void addBedrock(String id, String region, BigDecimal in, BigDecimal out, BigDecimal cached, BigDecimal reasoning,
                                   String key, List<Entry> entries) {
        Matcher m = PROFILE.matcher(id);
        if (m.matches() && m.group(2).contains(".")) {
            String prefix = m.group(1);
            if (prefix.equals("global")) {
                entries.add(new Entry("aws", "aws.bedrock", m.group(2), null, "global", null, in, out, cached, reasoning, key));
            } else {
                entries.add(new Entry("aws", "aws.bedrock", m.group(2), null, "data_zone", prefix, in, out, cached, reasoning, key));
            }
            return;
        }
        entries.add(new Entry("aws", "aws.bedrock", id, region, "regional", null, in, out, cached, reasoning, key).plain(region == null));
    }

    private static BigDecimal perMillion(JsonNode n) {
        if (n == null || n.isNull() || !n.isNumber()) {
            return null;
        }
        BigDecimal d = n.decimalValue().multiply(MILLION).stripTrailingZeros();
        return d.signum() == 0 ? BigDecimal.ZERO : d;
    }

    /** Writes the entries as an llm-audit price file (one flow-style entry per line, exact decimal strings). */
    public static String toYaml(Result result, String version, LocalDate effectiveFrom, String source) {
        StringBuilder b = new StringBuilder();
        b.append("# Generated by: llm-audit prices import-litellm ").append(source).append('\n');
        b.append("# ").append(result.entries().size()).append(" entries; ").append(result.skipped().size())
                .append(" LiteLLM keys skipped (run the import to see why). Prices in USD per million tokens.\n");
        b.append("# Do not edit by hand: add later-dated entries in another catalog/prices-*.yaml file instead.\n");
        b.append("version: ").append(quote(version)).append('\n');
        b.append("currency: USD\n");
        b.append("source: ").append(quote("LiteLLM model_prices_and_context_window.json (" + source + ")")).append('\n');
        b.append("entries:\n");
        Map<String, String> fields = new TreeMap<>();
        for (Entry e : result.entries()) {
            fields.clear();
            b.append("  - {cloud: ").append(e.cloud());
            b.append(", provider: ").append(e.provider());
            b.append(", model: ").append(quote(e.model()));
            if (e.region() != null) {
                b.append(", region: ").append(e.region());
            }
            b.append(", scope: ").append(e.scope());
            if (e.zone() != null) {
                b.append(", zone: ").append(e.zone());
            }
            b.append(", effective_from: ").append(effectiveFrom);
            b.append(", input: ").append(quote(e.input().toPlainString()));
            b.append(", output: ").append(quote(e.output().toPlainString()));
            if (e.cachedInput() != null) {
                b.append(", cached_input: ").append(quote(e.cachedInput().toPlainString()));
            }
            if (e.reasoning() != null) {
                b.append(", reasoning: ").append(quote(e.reasoning().toPlainString()));
            }
            if (e.rule() != null) {
                b.append(", basis: derived, rule: ").append(quote(e.rule()));
            }
            b.append(", source: ").append(quote(e.sourceKey())).append("}\n");
        }
        return b.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
