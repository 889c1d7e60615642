package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.PolicyKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A CEL condition over the event for what the structured policies cannot say; true means a violation.
 *
 * <p>A condition that fails at run time for a call is a finding of kind {@code policy_error} naming
 * the policy and the error, with the policy's severity: the call was not checked by this policy, and
 * security must know, not read a silent "no match". {@code on_error: ignore} opts a policy out.
 *
 * @param ignoreErrors {@code on_error: ignore}
 */
public record CustomPolicy(PolicyMeta meta, String expression, String message, Condition condition, boolean ignoreErrors) implements Policy {
    public CustomPolicy(PolicyMeta meta, String expression, String message, Condition condition) {
        this(meta, expression, message, condition, false);
    }

    @Override
    public void check(CheckContext ctx) {
        boolean broken;
        try {
            broken = condition.test(ctx.call());
        } catch (Condition.EvaluationError e) {
            if (!ignoreErrors) {
                Map<String, String> details = new LinkedHashMap<>();
                details.put("condition", expression);
                details.put("error", e.getMessage());
                ctx.add(new Finding(FindingIds.of(ctx.call().eventId(), meta.id(), "policy_error"), meta.id(), PolicyKind.POLICY_ERROR,
                        meta.severity(), ctx.call().eventId(), "policy " + meta.id() + " could not be evaluated for this call: " + e.getMessage()
                        + "; the call was not checked by this policy (fix the condition, e.g. test optional fields with has(event.x),"
                        + " or set on_error: ignore)", details));
            }
            return;
        }
        if (broken) {
            String text = (message != null ? message : "custom condition matched: " + expression) + "; policy " + meta.id();
            ctx.add(new Finding(FindingIds.of(ctx.call().eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(),
                    ctx.call().eventId(), text, Map.of("condition", expression)));
        }
    }
}
