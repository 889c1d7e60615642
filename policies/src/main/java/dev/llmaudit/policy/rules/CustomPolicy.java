package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.Finding;
import java.util.Map;

/** A CEL condition over the event for what the structured policies cannot say; true means a violation. */
public record CustomPolicy(PolicyMeta meta, String expression, String message, Condition condition) implements Policy {
    @Override
    public void check(CheckContext ctx) {
        if (condition.test(ctx.call())) {
            String text = (message != null ? message : "custom condition matched: " + expression) + "; policy " + meta.id();
            ctx.add(new Finding(FindingIds.of(ctx.call().eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(),
                    ctx.call().eventId(), text, Map.of("condition", expression)));
        }
    }
}
