package dev.llmaudit.policy.load;

import dev.llmaudit.policy.catalog.RegionCatalog;
import dev.llmaudit.policy.catalog.ScopeRule;
import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code catalog/scope-rules.yaml}: how providers price model families across deployment
 * scopes, each rule with its source (see the file's header and policies/README.md). Every problem is
 * reported as {@code file:line:col: message}; regions and zones must be in the region catalog.
 */
public final class ScopeRules {
    static final List<String> FILE_KEYS = List.of("version", "rules");
    static final List<String> RULE_KEYS = List.of("id", "cloud", "providers", "models", "source_scope", "source_regions", "derive", "says",
            "source");
    static final List<String> DERIVE_KEYS = List.of("scope", "zones", "regions", "from", "factor");
    static final List<String> SOURCE_KEYS = List.of("url", "title", "checked");

    private ScopeRules() {}

    /** The rules of a file; an absent file is no rules. Regions may be null (then not checked). */
    public static List<ScopeRule> load(Path file, RegionCatalog regions, Problems problems) {
        if (!Files.exists(file)) {
            return List.of();
        }
        Optional<Yaml.At> root = Yaml.parse(file, problems).map(n -> new Yaml.At(file, n));
        if (root.isEmpty()) {
            return List.of();
        }
        Yaml.Fields top = new Yaml.Fields(root.get(), problems, "scope rules");
        top.rejectUnknown(FILE_KEYS);
        top.requiredString("version");
        Optional<Yaml.At> list = top.node("rules");
        if (list.isEmpty() || !list.get().isList()) {
            root.get().error(problems, "scope rules: \"rules\" must be a list of rules");
            return List.of();
        }
        List<ScopeRule> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int index = 0;
        for (Yaml.At item : list.get().items()) {
            String ctx = "rules[" + index++ + "]";
            Yaml.Fields f = new Yaml.Fields(item, problems, ctx);
            f.rejectUnknown(RULE_KEYS);
            int before = problems.all().size();
            String id = f.requiredString("id");
            if (id != null && !ids.add(id)) {
                item.error(problems, ctx + ": duplicate rule id " + id);
            }
            String cloud = f.requiredString("cloud");
            List<String> providers = f.strings("providers");
            List<String> models = f.strings("models");
            if (models == null || models.isEmpty()) {
                item.error(problems, ctx + ": a rule needs \"models\" (patterns, * matches anything)");
            }
            Scope sourceScope = scope(f, "source_scope", ctx, problems);
            List<String> sourceRegions = f.strings("source_regions");
            if (sourceScope != null && sourceRegions != null) {
                item.error(problems, ctx + ": give source_scope or source_regions, not both");
            }
            if (sourceRegions != null && cloud != null && regions != null) {
                for (String r : sourceRegions) {
                    if (regions.region(cloud, r).isEmpty()) {
                        f.node("source_regions").get().error(problems, ctx + ".source_regions: " + r + " of " + cloud + " is not in catalog/regions.yaml");
                    }
                }
            }
            List<ScopeRule.Derivation> derive = new ArrayList<>();
            Optional<Yaml.At> d = f.node("derive");
            if (d.isPresent()) {
                if (!d.get().isList()) {
                    d.get().error(problems, ctx + ".derive: expected a list of {scope, from, factor} (with zones or regions)");
                } else {
                    int di = 0;
                    for (Yaml.At dx : d.get().items()) {
                        ScopeRule.Derivation x = derivation(dx, ctx + ".derive[" + di++ + "]", cloud, regions, problems);
                        if (x != null) {
                            derive.add(x);
                        }
                    }
                }
            }
            String says = f.requiredString("says");
            ScopeRule.Source source = null;
            Optional<Yaml.At> s = f.node("source");
            if (s.isEmpty()) {
                item.error(problems, ctx + ": every rule names its source (url, title, checked: the date it was checked)");
            } else {
                Yaml.Fields sf = new Yaml.Fields(s.get(), problems, ctx + ".source");
                sf.rejectUnknown(SOURCE_KEYS);
                String url = sf.requiredString("url");
                String title = sf.requiredString("title");
                LocalDate checked = null;
                String c = sf.requiredString("checked");
                if (c != null) {
                    try {
                        checked = LocalDate.parse(c);
                    } catch (DateTimeParseException e) {
                        sf.node("checked").get().error(problems, ctx + ".source.checked: not a date (YYYY-MM-DD): \"" + c + "\"");
                    }
                }
                source = new ScopeRule.Source(url, title, checked);
            }
            if (problems.all().size() == before) {
                out.add(new ScopeRule(id, cloud, providers == null ? List.of() : providers, models, sourceScope, sourceRegions, derive, source,
                        says, item.where()));
            }
        }
        return out;
    }

    private static ScopeRule.Derivation derivation(Yaml.At at, String ctx, String cloud, RegionCatalog regions, Problems problems) {
        Yaml.Fields f = new Yaml.Fields(at, problems, ctx);
        f.rejectUnknown(DERIVE_KEYS);
        int before = problems.all().size();
        Scope scope = scope(f, "scope", ctx, problems);
        Scope from = scope(f, "from", ctx, problems);
        if (scope == null && f.has("scope") == false) {
            at.error(problems, ctx + ": missing \"scope\" (regional, data_zone or global)");
        }
        if (from == null && !f.has("from")) {
            at.error(problems, ctx + ": missing \"from\" (the published scope the price is derived from)");
        }
        List<String> zones = f.strings("zones");
        List<String> regionList = f.strings("regions");
        if (scope == Scope.DATA_ZONE && (zones == null || zones.isEmpty())) {
            at.error(problems, ctx + ": a data_zone derivation names its zones");
        }
        if (zones != null && scope != Scope.DATA_ZONE) {
            f.node("zones").get().error(problems, ctx + ".zones: only data_zone derivations have zones");
        }
        if (regionList != null && scope != Scope.REGIONAL) {
            f.node("regions").get().error(problems, ctx + ".regions: only regional derivations have regions");
        }
        if (regions != null && cloud != null) {
            for (String z : zones == null ? List.<String>of() : zones) {
                if (regions.zone(cloud, z).isEmpty()) {
                    f.node("zones").get().error(problems, ctx + ".zones: data zone " + z + " of " + cloud + " is not in catalog/regions.yaml");
                }
            }
            for (String r : regionList == null ? List.<String>of() : regionList) {
                if (regions.region(cloud, r).isEmpty()) {
                    f.node("regions").get().error(problems, ctx + ".regions: " + r + " of " + cloud + " is not in catalog/regions.yaml");
                }
            }
        }
        BigDecimal factor = f.decimal("factor", true);
        if (factor != null && factor.signum() <= 0) {
            f.node("factor").get().error(problems, ctx + ".factor: must be > 0, got " + factor.toPlainString());
        }
        if (problems.all().size() > before || scope == null || from == null || factor == null) {
            return null;
        }
        return new ScopeRule.Derivation(scope, zones == null ? List.of() : zones, regionList == null ? List.of() : regionList, from, factor);
    }

    private static Scope scope(Yaml.Fields f, String key, String ctx, Problems problems) {
        String text = f.string(key);
        if (text == null) {
            return null;
        }
        Scope s = Scope.parse(text);
        if (s == null) {
            f.node(key).get().error(problems, ctx + "." + key + ": unknown scope \"" + text + "\"; expected regional, data_zone or global");
        }
        return s;
    }
}
