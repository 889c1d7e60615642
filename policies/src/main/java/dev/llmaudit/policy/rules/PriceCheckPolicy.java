package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.catalog.Alternatives;
import dev.llmaudit.policy.catalog.PriceEntry;
import dev.llmaudit.policy.model.Amounts;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Advisory: the same model is offered cheaper by more than {@code minSavingPercent} on another
 * cloud, region or deployment scope that also satisfies the call's residency requirement (the
 * call's {@code data_residency} and every residency policy that applies to it). The finding names
 * the alternative and the saving.
 */
public record PriceCheckPolicy(PolicyMeta meta, BigDecimal minSavingPercent) implements Policy {
    @Override
    public void check(CheckContext ctx) {
        if (!ctx.pricing().priced() || ctx.pricing().total().signum() == 0) {
            return;
        }
        LlmCall c = ctx.call();
        BigDecimal current = ctx.pricing().total();
        long input = nz(c.inputTokens());
        long cached = nz(c.cachedInputTokens());
        long output = nz(c.outputTokens());
        long reasoning = nz(c.reasoningTokens());
        PriceEntry cheapest = Alternatives.cheapestEntry(ctx.prices(), ctx.regions(), c.model(), c.eventTime(), input, cached, output,
                reasoning, ctx.residencyRequirement(), ctx.pricing().entry());
        if (cheapest == null) {
            return;
        }
        BigDecimal altCost = ctx.prices().cost(cheapest, input, cached, output, reasoning).total();
        BigDecimal percent = Alternatives.savingPercent(current, altCost);
        if (percent.compareTo(minSavingPercent) <= 0) {
            return;
        }
        // Only now, for a finding: where the alternative would run, in words.
        String where = Alternatives.compliantLocation(ctx.regions(), cheapest, ctx.residencyRequirement()).orElseThrow();
        String currency = ctx.prices().currency();
        BigDecimal saving = current.subtract(altCost);
        String residency = ctx.residencyRequirement().isEmpty() ? ""
                : ", which also satisfies " + String.join(", ", new java.util.TreeSet<>(ctx.residencyRequirement())) + " residency";
        String message = c.model() + " cost " + Amounts.display(current) + " " + currency + " via " + ctx.pricing().entry().id()
                + "; the same tokens cost " + Amounts.display(altCost) + " " + currency + " on " + where
                + " (saving " + Amounts.display(saving) + " " + currency + ", " + percent.toPlainString() + "%)" + residency
                + "; policy " + meta.id();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("current_entry", ctx.pricing().entry().id());
        details.put("alternative_entry", cheapest.id());
        details.put("alternative", where);
        details.put("current_cost", Amounts.plain(current));
        details.put("alternative_cost", Amounts.plain(altCost));
        details.put("saving", Amounts.plain(saving));
        details.put("saving_percent", percent.toPlainString());
        ctx.add(new Finding(FindingIds.of(c.eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(), c.eventId(), message, details));
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
