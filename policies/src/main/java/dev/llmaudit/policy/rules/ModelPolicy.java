package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.catalog.ModelNames;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model, provider and cloud allow/deny lists. A model pattern matches the model id as sent, the id
 * without a Bedrock profile prefix, or the canonical name ({@code gpt-oss-120b} matches
 * {@code openai.gpt-oss-120b-1:0}). Deny wins over allow; a null list is not checked.
 */
public record ModelPolicy(PolicyMeta meta, Patterns allowModels, Patterns denyModels, Patterns allowProviders,
                          Patterns denyProviders, Patterns allowClouds, Patterns denyClouds) implements Policy {

    static boolean modelMatches(Patterns p, String model) {
        if (model == null) {
            return false;
        }
        ModelNames.Forms f = ModelNames.forms(model);
        return p.matches(f.name()) || p.matches(f.withoutProfile()) || p.matches(f.canonical());
    }

    @Override
    public void check(CheckContext ctx) {
        LlmCall c = ctx.call();
        String model = c.model();
        String where = c.cloud() == null ? "" : " on " + c.cloud();
        String problem = null;
        if (denyClouds != null && denyClouds.matches(c.cloud())) {
            problem = named("cloud", c.cloud()) + " is denied by policy " + meta.id() + " (denied: " + denyClouds + ")";
        } else if (allowClouds != null && !allowClouds.matches(c.cloud())) {
            problem = named("cloud", c.cloud()) + " is not allowed by policy " + meta.id() + " (allowed: " + allowClouds + ")";
        } else if (denyProviders != null && denyProviders.matches(c.provider())) {
            problem = named("provider", c.provider()) + " is denied by policy " + meta.id() + " (denied: " + denyProviders + ")";
        } else if (allowProviders != null && !allowProviders.matches(c.provider())) {
            problem = named("provider", c.provider()) + " is not allowed by policy " + meta.id() + " (allowed: " + allowProviders + ")";
        } else if (denyModels != null && modelMatches(denyModels, model)) {
            problem = "model " + model + where + " is denied by policy " + meta.id() + " (denied: " + denyModels + ")";
        } else if (allowModels != null && !modelMatches(allowModels, model)) {
            problem = "model " + model + where + " is not on the allow-list of policy " + meta.id() + " (allowed: " + allowModels + ")";
        }
        if (problem == null) {
            return;
        }
        String subject = c.dataClassification() == null ? "" : " for " + c.dataClassification() + " data";
        Map<String, String> details = new LinkedHashMap<>();
        // Absent values are left out, never the text "null".
        putIfPresent(details, "model", model);
        putIfPresent(details, "cloud", c.cloud());
        putIfPresent(details, "provider", c.provider());
        ctx.add(new Finding(FindingIds.of(c.eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(), c.eventId(),
                problem + subject, details));
    }

    private static String named(String what, String value) {
        return value == null ? "a call that names no " + what : what + " " + value;
    }

    private static void putIfPresent(Map<String, String> details, String key, String value) {
        if (value != null) {
            details.put(key, value);
        }
    }
}
