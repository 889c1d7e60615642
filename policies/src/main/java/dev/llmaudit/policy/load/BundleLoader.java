package dev.llmaudit.policy.load;

import dev.llmaudit.policy.catalog.DataZone;
import dev.llmaudit.policy.catalog.PriceCatalog;
import dev.llmaudit.policy.catalog.PriceEntry;
import dev.llmaudit.policy.catalog.Region;
import dev.llmaudit.policy.catalog.RegionCatalog;
import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.model.BudgetPeriod;
import dev.llmaudit.policy.model.PolicyKind;
import dev.llmaudit.policy.model.Scope;
import dev.llmaudit.policy.model.Severity;
import dev.llmaudit.policy.rules.BudgetPolicy;
import dev.llmaudit.policy.rules.CallCapPolicy;
import dev.llmaudit.policy.rules.CustomPolicy;
import dev.llmaudit.policy.rules.ModelPolicy;
import dev.llmaudit.policy.rules.Patterns;
import dev.llmaudit.policy.rules.Policy;
import dev.llmaudit.policy.rules.PolicyMeta;
import dev.llmaudit.policy.rules.PriceCheckPolicy;
import dev.llmaudit.policy.rules.ResidencyPolicy;
import dev.llmaudit.policy.rules.Selector;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads and validates a policy bundle directory:
 * <pre>
 * bundle.yaml              name, version, description
 * catalog/regions.yaml     regions and data zones per cloud
 * catalog/prices*.yaml     dated price entries (one or more files)
 * policies/*.yaml          policies
 * tests/*.yaml             test cases (read by PolicyTests)
 * </pre>
 * Every problem is reported, all at once, as {@code file:line:col: message}.
 */
public final class BundleLoader {
    /** The bundle, or every problem that kept it from loading. */
    public record Result(PolicyBundle bundle, List<Problems.Problem> problems) {
        public boolean ok() {
            return bundle != null;
        }
    }

    static final List<String> BUNDLE_KEYS = List.of("name", "version", "description");
    static final List<String> COMMON_KEYS = List.of("id", "kind", "description", "severity", "owner", "match");
    static final List<String> MATCH_KEYS;
    static final List<String> CLOUDS = List.of("azure", "aws", "gcp", "openai", "anthropic", "other");

    static {
        List<String> keys = new ArrayList<>(new java.util.TreeSet<>(Selector.ATTRIBUTES.keySet()));
        keys.add("tags");
        MATCH_KEYS = List.copyOf(keys);
    }

    private BundleLoader() {}

    public static Result load(Path dir) {
        Problems problems = new Problems();
        if (!Files.isDirectory(dir)) {
            problems.add(dir, 0, 0, "not a directory; expected a bundle with bundle.yaml, catalog/ and policies/");
            return new Result(null, problems.all());
        }
        String[] nameVersion = readBundleFile(dir.resolve("bundle.yaml"), problems);
        RegionCatalog regions = readRegions(dir.resolve("catalog").resolve("regions.yaml"), problems);
        List<dev.llmaudit.policy.catalog.ScopeRule> scopeRules = ScopeRules.load(dir.resolve("catalog").resolve("scope-rules.yaml"), regions,
                problems);
        PriceCatalog prices = readPrices(dir.resolve("catalog"), regions, scopeRules, problems);
        List<Policy> policies = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        List<Path> files = yamlFiles(dir.resolve("policies"), "", problems);
        if (files.isEmpty() && Files.isDirectory(dir.resolve("policies"))) {
            problems.add(dir.resolve("policies"), 0, 0, "no policy files (*.yaml)");
        }
        for (Path file : files) {
            readPolicies(file, prices, seen, policies, problems);
        }
        if (!problems.isEmpty()) {
            return new Result(null, problems.all());
        }
        return new Result(new PolicyBundle(nameVersion[0], nameVersion[1], regions, prices, policies), List.of());
    }

    static List<Path> yamlFiles(Path dir, String prefix, Problems problems) {
        if (!Files.isDirectory(dir)) {
            problems.add(dir, 0, 0, "missing directory");
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && (n.endsWith(".yaml") || n.endsWith(".yml"));
            }).sorted().toList();
        } catch (IOException e) {
            problems.add(dir, 0, 0, "cannot list: " + e.getMessage());
            return List.of();
        }
    }

    private static String[] readBundleFile(Path file, Problems problems) {
        if (!Files.exists(file)) {
            problems.add(file, 0, 0, "missing bundle.yaml (name and version of the bundle)");
            return new String[] {"", ""};
        }
        Optional<Yaml.At> root = Yaml.parse(file, problems).map(n -> new Yaml.At(file, n));
        if (root.isEmpty()) {
            return new String[] {"", ""};
        }
        Yaml.Fields f = new Yaml.Fields(root.get(), problems, "bundle");
        f.rejectUnknown(BUNDLE_KEYS);
        String name = f.requiredString("name");
        String version = f.requiredString("version");
        return new String[] {name, version};
    }

    // ---------------------------------------------------------------- regions

    private static RegionCatalog readRegions(Path file, Problems problems) {
        List<Region> regions = new ArrayList<>();
        List<DataZone> zones = new ArrayList<>();
        if (!Files.exists(file)) {
            problems.add(file, 0, 0, "missing region catalog");
            return new RegionCatalog("", regions, zones);
        }
        Optional<Yaml.At> root = Yaml.parse(file, problems).map(n -> new Yaml.At(file, n));
        if (root.isEmpty()) {
            return new RegionCatalog("", regions, zones);
        }
        Yaml.Fields top = new Yaml.Fields(root.get(), problems, "regions");
        top.rejectUnknown(List.of("version", "groups", "clouds"));
        String version = top.requiredString("version");
        Map<String, Set<String>> groups = new LinkedHashMap<>();
        top.node("groups").ifPresent(g -> {
            Yaml.Fields gf = new Yaml.Fields(g, problems, "groups");
            for (String name : g.entries(problems).keySet()) {
                List<String> members = gf.strings(name);
                if (members != null) {
                    groups.put(name, new LinkedHashSet<>(members));
                }
            }
        });
        Optional<Yaml.At> clouds = top.node("clouds");
        if (clouds.isEmpty()) {
            root.get().error(problems, "regions: missing required key \"clouds\"");
            return new RegionCatalog(version, regions, zones, groups);
        }
        for (Map.Entry<String, Yaml.At> cloud : clouds.get().entries(problems).entrySet()) {
            String c = cloud.getKey();
            if (!CLOUDS.contains(c)) {
                cloud.getValue().error(problems, "clouds: unknown cloud \"" + c + "\"; expected one of " + String.join(", ", CLOUDS));
                continue;
            }
            Yaml.Fields cf = new Yaml.Fields(cloud.getValue(), problems, "clouds." + c);
            cf.rejectUnknown(List.of("data_zones", "regions"));
            Set<String> zoneIds = new HashSet<>();
            cf.node("data_zones").ifPresent(zs -> {
                for (Map.Entry<String, Yaml.At> z : zs.entries(problems).entrySet()) {
                    Yaml.Fields zf = new Yaml.Fields(z.getValue(), problems, "clouds." + c + ".data_zones." + z.getKey());
                    zf.rejectUnknown(List.of("jurisdictions", "description"));
                    List<String> js = zf.strings("jurisdictions");
                    if (js == null || js.isEmpty()) {
                        z.getValue().error(problems, "clouds." + c + ".data_zones." + z.getKey() + ": needs a non-empty \"jurisdictions\" list");
                        continue;
                    }
                    zoneIds.add(z.getKey());
                    zones.add(new DataZone(c, z.getKey(), new LinkedHashSet<>(js), zf.string("description")));
                }
            });
            cf.node("regions").ifPresent(rs -> {
                for (Map.Entry<String, Yaml.At> r : rs.entries(problems).entrySet()) {
                    String ctx = "clouds." + c + ".regions." + r.getKey();
                    Yaml.Fields rf = new Yaml.Fields(r.getValue(), problems, ctx);
                    rf.rejectUnknown(List.of("country", "jurisdiction", "data_zone", "name"));
                    String jurisdiction = rf.requiredString("jurisdiction");
                    String zone = rf.string("data_zone");
                    if (zone != null && !zoneIds.contains(zone)) {
                        rf.node("data_zone").get().error(problems, ctx + ".data_zone: \"" + zone + "\" is not a data zone of " + c
                                + " (defined: " + String.join(", ", new java.util.TreeSet<>(zoneIds)) + ")");
                    }
                    if (jurisdiction != null) {
                        regions.add(new Region(c, r.getKey(), rf.string("country"), jurisdiction, zone, r.getValue().where()));
                    }
                }
            });
        }
        return new RegionCatalog(version, regions, zones, groups);
    }

    // ---------------------------------------------------------------- prices

    static final List<String> PRICE_FILE_KEYS = List.of("version", "currency", "source", "entries");
    static final List<String> ENTRY_KEYS = List.of("cloud", "provider", "model", "region", "scope", "zone", "effective_from",
            "input", "output", "cached_input", "reasoning", "source", "basis", "rule", "tenant");
    /** Negotiated and corrected prices, applied over the imported catalog. */
    static final String OVERLAY = "overlay.yaml";

    private static PriceCatalog readPrices(Path catalogDir, RegionCatalog regions, List<dev.llmaudit.policy.catalog.ScopeRule> scopeRules,
                                           Problems problems) {
        Set<String> ruleIds = new HashSet<>();
        scopeRules.forEach(r -> ruleIds.add(r.id()));
        List<Path> files = new ArrayList<>(yamlFiles(catalogDir, "prices", problems));
        if (Files.exists(catalogDir.resolve(OVERLAY))) {
            files.add(catalogDir.resolve(OVERLAY));
        }
        if (files.isEmpty() && Files.isDirectory(catalogDir)) {
            problems.add(catalogDir, 0, 0, "no price catalog (catalog/prices*.yaml)");
        }
        List<PriceEntry> entries = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        String currency = null;
        Map<String, PriceEntry> ids = new HashMap<>();
        for (Path file : files) {
            Optional<Yaml.At> root = Yaml.parse(file, problems).map(n -> new Yaml.At(file, n));
            if (root.isEmpty()) {
                continue;
            }
            Yaml.Fields top = new Yaml.Fields(root.get(), problems, "prices");
            top.rejectUnknown(PRICE_FILE_KEYS);
            String version = top.requiredString("version");
            String cur = top.requiredString("currency");
            if (version != null) {
                versions.add(version);
            }
            if (cur != null && currency != null && !cur.equals(currency)) {
                top.node("currency").get().error(problems, "prices.currency: " + cur + " differs from " + currency
                        + " in another price file; one catalog has one currency");
            } else if (cur != null) {
                currency = cur;
            }
            Optional<Yaml.At> list = top.node("entries");
            if (list.isEmpty() || !list.get().isList()) {
                root.get().error(problems, "prices: \"entries\" must be a list of price entries");
                continue;
            }
            int index = 0;
            boolean overlay = file.getFileName().toString().equals(OVERLAY);
            for (Yaml.At item : list.get().items()) {
                PriceEntry e = readEntry(item, "entries[" + index++ + "]", regions, overlay, ruleIds, problems);
                if (e == null) {
                    continue;
                }
                PriceEntry clash = ids.putIfAbsent(e.id(), e);
                if (clash != null) {
                    item.error(problems, "duplicate price entry " + e.id() + " (also at " + clash.location() + ")");
                    continue;
                }
                entries.add(e);
            }
        }
        return new PriceCatalog(String.join("+", versions), currency == null ? "USD" : currency, entries, scopeRules);
    }

    private static PriceEntry readEntry(Yaml.At item, String ctx, RegionCatalog regions, boolean overlay, Set<String> ruleIds,
                                        Problems problems) {
        Yaml.Fields f = new Yaml.Fields(item, problems, ctx);
        f.rejectUnknown(ENTRY_KEYS);
        String cloud = f.requiredString("cloud");
        String model = f.requiredString("model");
        String region = f.string("region");
        String zone = f.string("zone");
        String scopeText = f.string("scope");
        Scope scope = null;
        boolean ok = true;
        if (cloud != null && !CLOUDS.contains(cloud)) {
            f.node("cloud").get().error(problems, ctx + ".cloud: unknown cloud \"" + cloud + "\"; expected one of " + String.join(", ", CLOUDS));
            ok = false;
        }
        if (scopeText != null && !scopeText.equals("any")) {
            scope = Scope.parse(scopeText);
            if (scope == null) {
                f.node("scope").get().error(problems, ctx + ".scope: unknown value \"" + scopeText + "\"; expected regional, data_zone, global or any");
                ok = false;
            }
        }
        if (scope == Scope.DATA_ZONE && zone == null) {
            item.error(problems, ctx + ": a data_zone price needs \"zone\" (e.g. eu, us)");
            ok = false;
        }
        if (zone != null && scope != Scope.DATA_ZONE) {
            f.node("zone").get().error(problems, ctx + ".zone: only data_zone prices have a zone");
            ok = false;
        }
        if (cloud != null && ok && region != null && regions.region(cloud, region).isEmpty()) {
            f.node("region").get().error(problems, ctx + ".region: " + region + " of " + cloud
                    + " is not in catalog/regions.yaml; add it there with its country and jurisdiction");
            ok = false;
        }
        if (cloud != null && ok && zone != null && regions.zone(cloud, zone).isEmpty()) {
            f.node("zone").get().error(problems, ctx + ".zone: data zone " + zone + " of " + cloud + " is not in catalog/regions.yaml");
            ok = false;
        }
        LocalDate from = null;
        String fromText = f.requiredString("effective_from");
        if (fromText != null) {
            try {
                from = LocalDate.parse(fromText);
            } catch (DateTimeParseException e) {
                f.node("effective_from").get().error(problems, ctx + ".effective_from: not a date (YYYY-MM-DD): \"" + fromText + "\"");
                ok = false;
            }
        }
        BigDecimal input = f.decimal("input", true);
        BigDecimal output = f.decimal("output", true);
        BigDecimal cached = f.decimal("cached_input", false);
        BigDecimal reasoning = f.decimal("reasoning", false);
        String basisText = f.string("basis");
        dev.llmaudit.policy.catalog.PriceBasis basis = basisText == null ? dev.llmaudit.policy.catalog.PriceBasis.PUBLISHED
                : dev.llmaudit.policy.catalog.PriceBasis.parse(basisText);
        String rule = f.string("rule");
        String tenant = f.string("tenant");
        String source = f.string("source");
        if (basis == null) {
            f.node("basis").get().error(problems, ctx + ".basis: unknown value \"" + basisText + "\"; expected published, derived, negotiated or corrected");
            ok = false;
        } else if (overlay && basis != dev.llmaudit.policy.catalog.PriceBasis.NEGOTIATED
                && basis != dev.llmaudit.policy.catalog.PriceBasis.CORRECTED) {
            item.error(problems, ctx + ": " + OVERLAY + " holds negotiated or corrected prices; set basis: negotiated or basis: corrected");
            ok = false;
        } else if (!overlay && (basis == dev.llmaudit.policy.catalog.PriceBasis.NEGOTIATED
                || basis == dev.llmaudit.policy.catalog.PriceBasis.CORRECTED)) {
            f.node("basis").get().error(problems, ctx + ".basis: " + basis.id() + " prices belong in catalog/" + OVERLAY
                    + " (applied over the imported catalog)");
            ok = false;
        }
        if (basis == dev.llmaudit.policy.catalog.PriceBasis.DERIVED && rule == null) {
            item.error(problems, ctx + ": a derived price names the scope rule that derived it (rule: <id of catalog/scope-rules.yaml>)");
            ok = false;
        } else if (rule != null && basis != dev.llmaudit.policy.catalog.PriceBasis.DERIVED) {
            f.node("rule").get().error(problems, ctx + ".rule: only derived prices name a rule");
            ok = false;
        } else if (rule != null && !ruleIds.contains(rule)) {
            f.node("rule").get().error(problems, ctx + ".rule: no scope rule \"" + rule + "\" in catalog/scope-rules.yaml");
            ok = false;
        }
        if (tenant != null && basis != dev.llmaudit.policy.catalog.PriceBasis.NEGOTIATED) {
            f.node("tenant").get().error(problems, ctx + ".tenant: only negotiated prices are per tenant");
            ok = false;
        }
        if (overlay && (source == null || source.isBlank())) {
            item.error(problems, ctx + ": an overlay price names its source (the contract, or the page that shows the right figure)");
            ok = false;
        }
        if (!ok || cloud == null || model == null || from == null || input == null || output == null) {
            return null;
        }
        return new PriceEntry(cloud, f.string("provider"), model, region, scope, zone, from, input, output, cached, reasoning,
                source, item.where(), basis, rule, tenant);
    }

    // ---------------------------------------------------------------- policies

    private static void readPolicies(Path file, PriceCatalog prices, Map<String, String> seen, List<Policy> out, Problems problems) {
        Optional<Yaml.At> root = Yaml.parse(file, problems).map(n -> new Yaml.At(file, n));
        if (root.isEmpty()) {
            return;
        }
        Yaml.Fields top = new Yaml.Fields(root.get(), problems, "file");
        top.rejectUnknown(List.of("policies"));
        Optional<Yaml.At> list = top.node("policies");
        if (list.isEmpty() || !list.get().isList()) {
            root.get().error(problems, "expected \"policies:\" with a list of policies");
            return;
        }
        int index = 0;
        for (Yaml.At item : list.get().items()) {
            Policy p = readPolicy(item, "policies[" + index++ + "]", prices, problems);
            if (p == null) {
                continue;
            }
            String previous = seen.putIfAbsent(p.meta().id(), p.meta().location());
            if (previous != null) {
                item.error(problems, "duplicate policy id \"" + p.meta().id() + "\" (also at " + previous + ")");
                continue;
            }
            out.add(p);
        }
    }

    static Policy readPolicy(Yaml.At item, String position, PriceCatalog prices, Problems problems) {
        Yaml.Fields first = new Yaml.Fields(item, problems, position);
        if (!item.isMap()) {
            return null;
        }
        String id = first.requiredString("id");
        final String ctx = id != null ? "policy " + id : position;
        // Name the policy in every later message once its id is known.
        Yaml.Fields f = id != null ? new Yaml.Fields(item, problems, ctx) : first;
        if (id != null) {
            if (!id.matches("[a-z0-9][a-z0-9._-]*")) {
                f.node("id").get().error(problems, ctx + ": id must be lower-case letters, digits, . _ - (got \"" + id + "\")");
            }
        }
        String kindText = f.requiredString("kind");
        PolicyKind kind = kindText == null ? null : PolicyKind.parse(kindText);
        if (kindText != null && kind == null) {
            f.node("kind").get().error(problems, ctx + ".kind: unknown kind \"" + kindText + "\"; expected one of "
                    + String.join(", ", PolicyKind.declarable().stream().map(PolicyKind::id).toList())
                    + (kindText.equals("policy_error") ? " (policy_error is the kind of findings about policies that failed, not a policy kind)" : ""));
        }
        String severityText = f.string("severity");
        Severity severity = kind == PolicyKind.PRICE_CHECK ? Severity.INFO : Severity.MEDIUM;
        if (severityText != null) {
            try {
                severity = Severity.valueOf(severityText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                f.node("severity").get().error(problems, ctx + ".severity: unknown value \"" + severityText
                        + "\"; expected info, low, medium, high or critical");
            }
        }
        Selector selector = readSelector(f, ctx, problems);
        if (kind == null || id == null) {
            return null;
        }
        PolicyMeta meta = new PolicyMeta(id, kind, f.string("description"), severity, f.string("owner"), selector, item.where());
        List<String> keys = new ArrayList<>(COMMON_KEYS);
        int before = problems.all().size();
        Policy policy = switch (kind) {
            case RESIDENCY -> {
                keys.add("allowed_jurisdictions");
                List<String> allowed = f.strings("allowed_jurisdictions");
                yield new ResidencyPolicy(meta, allowed == null ? Set.of() : new LinkedHashSet<>(allowed));
            }
            case MODEL -> {
                List<String> lists = List.of("allow_models", "deny_models", "allow_providers", "deny_providers", "allow_clouds", "deny_clouds");
                keys.addAll(lists);
                Map<String, Patterns> p = new HashMap<>();
                for (String k : lists) {
                    List<String> v = f.strings(k);
                    if (v != null) {
                        p.put(k, new Patterns(v));
                    }
                }
                if (p.isEmpty()) {
                    item.error(problems, ctx + ": a model policy needs at least one of " + String.join(", ", lists));
                }
                yield new ModelPolicy(meta, p.get("allow_models"), p.get("deny_models"), p.get("allow_providers"),
                        p.get("deny_providers"), p.get("allow_clouds"), p.get("deny_clouds"));
            }
            case BUDGET -> {
                keys.addAll(List.of("per", "period", "time_zone", "limit", "thresholds", "cost_basis"));
                yield readBudget(f, meta, ctx, prices, problems);
            }
            case CALL_CAP -> {
                keys.addAll(List.of("max_cost", "max_input_tokens", "max_output_tokens", "max_total_tokens"));
                BigDecimal[] cost = {null};
                String[] currency = {prices.currency()};
                f.node("max_cost").ifPresent(n -> {
                    Yaml.Fields m = new Yaml.Fields(n, problems, ctx + ".max_cost");
                    m.rejectUnknown(List.of("amount", "currency"));
                    cost[0] = m.decimal("amount", true);
                    currency[0] = readCurrency(m, ctx + ".max_cost", prices, problems);
                });
                Long in = f.count("max_input_tokens");
                Long outTokens = f.count("max_output_tokens");
                Long total = f.count("max_total_tokens");
                if (cost[0] == null && in == null && outTokens == null && total == null && !f.has("max_cost")) {
                    item.error(problems, ctx + ": a call_cap policy needs max_cost or a max_*_tokens cap");
                }
                yield new CallCapPolicy(meta, cost[0], currency[0], in, outTokens, total);
            }
            case PRICE_CHECK -> {
                keys.addAll(List.of("min_saving_percent", "violation_saving_percent", "violation_saving"));
                BigDecimal min = f.decimal("min_saving_percent", false);
                BigDecimal violationPercent = f.decimal("violation_saving_percent", false);
                BigDecimal[] violationSaving = {null};
                f.node("violation_saving").ifPresent(n -> {
                    Yaml.Fields m = new Yaml.Fields(n, problems, ctx + ".violation_saving");
                    m.rejectUnknown(List.of("amount", "currency"));
                    violationSaving[0] = m.decimal("amount", true);
                    readCurrency(m, ctx + ".violation_saving", prices, problems);
                });
                if ((violationPercent == null) != (violationSaving[0] == null) && (f.has("violation_saving_percent") || f.has("violation_saving"))) {
                    item.error(problems, ctx + ": a price check raises a violation only above both violation_saving_percent and"
                            + " violation_saving (an amount per call); set both, or neither for advice only");
                }
                yield new PriceCheckPolicy(meta, min == null ? BigDecimal.TEN : min, violationPercent, violationSaving[0]);
            }
            case CUSTOM -> {
                keys.addAll(List.of("condition", "message", "on_error"));
                String onError = f.string("on_error");
                if (onError != null && !onError.equals("policy_error") && !onError.equals("ignore")) {
                    f.node("on_error").get().error(problems, ctx + ".on_error: expected policy_error (the default: a finding of kind"
                            + " policy_error when the condition fails for a call) or ignore, got \"" + onError + "\"");
                }
                String expression = f.requiredString("condition");
                dev.llmaudit.policy.rules.Condition condition = null;
                if (expression != null) {
                    try {
                        condition = CelConditions.compile(expression);
                    } catch (IllegalArgumentException e) {
                        f.node("condition").get().error(problems, ctx + ".condition: invalid CEL expression: "
                                + e.getMessage().replace('\n', ' ').replaceAll("\\s+", " "));
                    }
                }
                yield condition == null ? null : new CustomPolicy(meta, expression, f.string("message"), condition, "ignore".equals(onError));
            }
            case POLICY_ERROR -> throw new IllegalStateException("policy_error is not a declarable kind (PolicyKind.parse refuses it)");
        };
        f.rejectUnknown(keys);
        return problems.all().size() == before ? policy : null;
    }

    private static Selector readSelector(Yaml.Fields f, String ctx, Problems problems) {
        Optional<Yaml.At> match = f.node("match");
        if (match.isEmpty()) {
            return Selector.ALL;
        }
        Yaml.Fields m = new Yaml.Fields(match.get(), problems, ctx + ".match");
        m.rejectUnknown(MATCH_KEYS);
        Map<String, Patterns> attributes = new LinkedHashMap<>();
        for (String key : Selector.ATTRIBUTES.keySet()) {
            List<String> values = m.strings(key);
            if (values != null) {
                attributes.put(key, new Patterns(values));
            }
        }
        Map<String, Patterns> tags = new LinkedHashMap<>();
        m.node("tags").ifPresent(t -> {
            for (Map.Entry<String, Yaml.At> e : t.entries(problems).entrySet()) {
                Yaml.Fields tf = new Yaml.Fields(t, problems, ctx + ".match.tags");
                List<String> values = tf.strings(e.getKey());
                if (values != null) {
                    tags.put(e.getKey(), new Patterns(values));
                }
            }
        });
        return new Selector(attributes, tags);
    }

    private static String readCurrency(Yaml.Fields m, String ctx, PriceCatalog prices, Problems problems) {
        String currency = m.string("currency");
        if (currency == null) {
            return prices.currency();
        }
        if (!currency.equals(prices.currency())) {
            m.node("currency").get().error(problems, ctx + ".currency: " + currency + " but the price catalog is in "
                    + prices.currency() + " and there are no exchange rates; use " + prices.currency());
        }
        return currency;
    }

    private static BudgetPolicy readBudget(Yaml.Fields f, PolicyMeta meta, String ctx, PriceCatalog prices, Problems problems) {
        List<String> per = f.strings("per");
        if (per == null) {
            per = List.of();
        }
        for (String attribute : per) {
            if (!Selector.ATTRIBUTES.containsKey(attribute)) {
                f.node("per").get().error(problems, ctx + ".per: unknown attribute \"" + attribute + "\"; expected some of "
                        + String.join(", ", new java.util.TreeSet<>(Selector.ATTRIBUTES.keySet())));
            }
        }
        String periodText = f.requiredString("period");
        BudgetPeriod period = periodText == null ? null : BudgetPeriod.parse(periodText);
        if (periodText != null && period == null) {
            f.node("period").get().error(problems, ctx + ".period: unknown value \"" + periodText + "\"; expected day, week or month");
        }
        ZoneId zone = ZoneId.of("UTC");
        String zoneText = f.string("time_zone");
        if (zoneText != null) {
            try {
                zone = ZoneId.of(zoneText);
            } catch (DateTimeException e) {
                f.node("time_zone").get().error(problems, ctx + ".time_zone: unknown time zone \"" + zoneText
                        + "\"; use an IANA name such as Europe/Berlin or UTC");
            }
        }
        BigDecimal limit = null;
        String currency = prices.currency();
        Optional<Yaml.At> limitNode = f.node("limit");
        if (limitNode.isEmpty()) {
            f.at().error(problems, ctx + ": missing required key \"limit\" ({amount: \"1000\", currency: USD})");
        } else {
            Yaml.Fields l = new Yaml.Fields(limitNode.get(), problems, ctx + ".limit");
            l.rejectUnknown(List.of("amount", "currency"));
            limit = l.decimal("amount", true);
            currency = readCurrency(l, ctx + ".limit", prices, problems);
            if (limit != null && limit.signum() == 0) {
                limitNode.get().error(problems, ctx + ".limit.amount: must be > 0");
            }
        }
        List<Integer> thresholds = new ArrayList<>();
        List<String> t = f.strings("thresholds");
        for (String s : t == null ? List.of("100") : t) {
            try {
                int v = Integer.parseInt(s.trim().replace("%", ""));
                if (v <= 0 || v > 1000) {
                    throw new NumberFormatException();
                }
                thresholds.add(v);
            } catch (NumberFormatException e) {
                f.node("thresholds").get().error(problems, ctx + ".thresholds: \"" + s + "\" is not a percentage between 1 and 1000");
            }
        }
        thresholds = thresholds.stream().distinct().sorted().toList();
        String basisText = f.string("cost_basis");
        BudgetPolicy.CostBasis basis = basisText == null ? BudgetPolicy.CostBasis.CATALOG : BudgetPolicy.CostBasis.parse(basisText);
        if (basis == null) {
            f.node("cost_basis").get().error(problems, ctx + ".cost_basis: unknown value \"" + basisText
                    + "\"; expected catalog, reported or reported_or_catalog");
        }
        if (period == null || limit == null || basis == null) {
            return null;
        }
        return new BudgetPolicy(meta, per, period, zone, limit, currency, thresholds, basis);
    }
}
