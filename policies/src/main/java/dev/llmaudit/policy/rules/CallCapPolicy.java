package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.Amounts;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-call caps on cost (catalog price) and tokens. An unpriced call is not judged on cost (its
 * cost is unknown, not zero); token caps still apply.
 */
public record CallCapPolicy(PolicyMeta meta, BigDecimal maxCost, String currency, Long maxInputTokens,
                            Long maxOutputTokens, Long maxTotalTokens) implements Policy {
    @Override
    public void check(CheckContext ctx) {
        LlmCall c = ctx.call();
        List<String> problems = new ArrayList<>();
        Map<String, String> details = new LinkedHashMap<>();
        BigDecimal cost = ctx.pricing().priced() ? ctx.pricing().total() : null;
        if (maxCost != null && cost != null && cost.compareTo(maxCost) > 0) {
            problems.add("call cost " + Amounts.display(cost) + " " + currency + " exceeds the cap of " + Amounts.display(maxCost) + " " + currency);
            details.put("cost", Amounts.display(cost));
            details.put("max_cost", Amounts.display(maxCost));
            // Finance must tell a published price from a derived or negotiated one (prices explain shows why).
            details.put("price_entry", ctx.pricing().entry().id());
            details.put("price_basis", ctx.pricing().entry().basisText());
        }
        if (maxInputTokens != null && c.inputTokens() != null && c.inputTokens() > maxInputTokens) {
            problems.add(c.inputTokens() + " input tokens exceed the cap of " + maxInputTokens);
            details.put("input_tokens", c.inputTokens().toString());
        }
        if (maxOutputTokens != null && c.outputTokens() != null && c.outputTokens() > maxOutputTokens) {
            problems.add(c.outputTokens() + " output tokens exceed the cap of " + maxOutputTokens);
            details.put("output_tokens", c.outputTokens().toString());
        }
        if (maxTotalTokens != null && c.totalTokens() > maxTotalTokens) {
            problems.add(c.totalTokens() + " tokens exceed the cap of " + maxTotalTokens);
            details.put("total_tokens", Long.toString(c.totalTokens()));
        }
        if (problems.isEmpty()) {
            return;
        }
        String model = c.model() == null ? "" : " (" + c.model() + (c.cloud() == null ? "" : " on " + c.cloud()) + ")";
        ctx.add(new Finding(FindingIds.of(c.eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(), c.eventId(),
                String.join("; ", problems) + model + "; policy " + meta.id(), details));
    }
}
