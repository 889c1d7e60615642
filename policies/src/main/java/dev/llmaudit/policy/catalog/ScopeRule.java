package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * How one provider prices one model family across deployment scopes, as data with its source
 * ({@code catalog/scope-rules.yaml}). Applied by the LiteLLM importer where the source has no entry of
 * its own for a scope; every entry a rule makes names the rule ({@link PriceBasis#DERIVED}).
 *
 * @param providers the providers it applies to (LiteLLM's keys of that cloud name them); empty = any
 * @param models model name patterns ({@code *} matches anything), matched against the id without a profile prefix
 * @param sourceScope when set, the source's entries of these models that name no scope (LiteLLM's plain keys) hold
 *     this scope's price, e.g. global; they then price only that scope, never another
 * @param sourceRegions when set, the source's regional price of these models holds only in these regions
 * @param derive prices of other scopes computed from a published one
 * @param says what the source says, quoted or summarised, so a reviewer can check it
 * @param location file:line in the bundle
 */
public record ScopeRule(String id, String cloud, List<String> providers, List<String> models, Scope sourceScope,
                        List<String> sourceRegions, List<Derivation> derive, Source source, String says, String location) {
    public ScopeRule {
        providers = List.copyOf(providers);
        models = List.copyOf(models);
        sourceRegions = sourceRegions == null ? null : List.copyOf(sourceRegions);
        derive = List.copyOf(derive);
    }

    /**
     * One derived price: {@code scope} (in these zones or regions, or all when none are named) costs the
     * published {@code from} scope's price times {@code factor}, for every token kind.
     */
    public record Derivation(Scope scope, List<String> zones, List<String> regions, Scope from, BigDecimal factor) {
        public Derivation {
            zones = List.copyOf(zones);
            regions = List.copyOf(regions);
        }
    }

    /** Where the rule comes from: a provider's page (or the best available copy of it) and when it was checked. */
    public record Source(String url, String title, LocalDate checked) {}

    /** Whether the rule covers this model of this provider on this cloud. */
    public boolean applies(String cloud, String provider, String model) {
        if (!this.cloud.equals(cloud)) {
            return false;
        }
        if (!providers.isEmpty() && (provider == null || !providers.contains(provider))) {
            return false;
        }
        String m = ModelNames.withoutProfile(model);
        for (String p : models) {
            if (glob(p, m)) {
                return true;
            }
        }
        return false;
    }

    /** {@code *} matches any run of characters; everything else literally. */
    static boolean glob(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
