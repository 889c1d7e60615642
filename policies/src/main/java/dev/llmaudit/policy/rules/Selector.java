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
    private final List<Map.Entry<Function<LlmCall, String>, Patterns>> checks;

    public Selector(Map<String, Patterns> attributes, Map<String, Patterns> tags) {
        this.attributes = Map.copyOf(attributes);
        this.tags = Map.copyOf(tags);
        this.checks = attributes.entrySet().stream()
                .map(e -> Map.entry(ATTRIBUTES.get(e.getKey()), e.getValue()))
                .toList();
    }

    public boolean matches(LlmCall call) {
        for (Map.Entry<Function<LlmCall, String>, Patterns> check : checks) {
            if (!check.getValue().matches(check.getKey().apply(call))) {
                return false;
            }
        }
        for (Map.Entry<String, Patterns> tag : tags.entrySet()) {
            if (!tag.getValue().matches(call.tags().get(tag.getKey()))) {
                return false;
            }
        }
        return true;
    }

    public Map<String, Patterns> attributes() {
        return attributes;
    }

    public Map<String, Patterns> tags() {
        return tags;
    }
}
