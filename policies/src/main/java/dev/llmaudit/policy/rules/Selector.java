package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.LlmCall;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which calls a policy applies to: every listed attribute must match one of its values (values may
 * use {@code *}); an attribute the call lacks never matches. An empty selector matches every call.
 */
public final class Selector {
    /** Attribute names a selector may use, and how to read each from a call. */
    public static final Map<String, Function<LlmCall, String>> ATTRIBUTES = Map.ofEntries(
            Map.entry("tenant", LlmCall::tenant),
            Map.entry("team", LlmCall::team),
            Map.entry("app", LlmCall::app),
            Map.entry("environment", LlmCall::environment),
            Map.entry("data_classification", LlmCall::dataClassification),
            Map.entry("data_residency", LlmCall::dataResidency),
            Map.entry("cloud", LlmCall::cloud),
            Map.entry("provider", LlmCall::provider),
            Map.entry("region", LlmCall::region),
            Map.entry("operation", LlmCall::operation));

    public static final Selector ALL = new Selector(Map.of(), Map.of());

    private final Map<String, Patterns> attributes;
    private final Map<String, Patterns> tags;
    /** Attribute codes and their patterns, as arrays: this runs for every policy on every event. */
    private final int[] codes;
    private final Patterns[] patterns;
    private final String[] tagNames;
    private final Patterns[] tagPatterns;
    private static final List<String> CODES = List.of("tenant", "team", "app", "environment", "data_classification",
            "data_residency", "cloud", "provider", "region", "operation");

    public Selector(Map<String, Patterns> attributes, Map<String, Patterns> tags) {
        this.attributes = Map.copyOf(attributes);
        this.tags = Map.copyOf(tags);
        this.codes = new int[attributes.size()];
        this.patterns = new Patterns[attributes.size()];
        int i = 0;
        for (Map.Entry<String, Patterns> e : attributes.entrySet()) {
            codes[i] = CODES.indexOf(e.getKey());
            if (codes[i] < 0) {
                throw new IllegalArgumentException("unknown selector attribute " + e.getKey());
            }
            patterns[i++] = e.getValue();
        }
        this.tagNames = tags.keySet().toArray(new String[0]);
        this.tagPatterns = new Patterns[tagNames.length];
        for (int t = 0; t < tagNames.length; t++) {
            tagPatterns[t] = tags.get(tagNames[t]);
        }
    }

    /** The number of a selector attribute, for {@link #read(LlmCall, int)}; -1 if unknown. */
    public static int code(String attribute) {
        return CODES.indexOf(attribute);
    }

    public boolean matches(LlmCall call) {
        for (int i = 0; i < codes.length; i++) {
            if (!patterns[i].matches(read(call, codes[i]))) {
                return false;
            }
        }
        for (int t = 0; t < tagNames.length; t++) {
            if (!tagPatterns[t].matches(call.tags().get(tagNames[t]))) {
                return false;
            }
        }
        return true;
    }

    /** The value of attribute number {@code code} (see {@link #code}) of the call. */
    public static String read(LlmCall c, int code) {
        return switch (code) {
            case 0 -> c.tenant();
            case 1 -> c.team();
            case 2 -> c.app();
            case 3 -> c.environment();
            case 4 -> c.dataClassification();
            case 5 -> c.dataResidency();
            case 6 -> c.cloud();
            case 7 -> c.provider();
            case 8 -> c.region();
            case 9 -> c.operation();
            default -> null;
        };
    }

    public Map<String, Patterns> attributes() {
        return attributes;
    }

    public Map<String, Patterns> tags() {
        return tags;
    }
}
