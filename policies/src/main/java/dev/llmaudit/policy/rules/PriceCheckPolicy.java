package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.catalog.Alternatives;
import dev.llmaudit.policy.catalog.PriceBasis;
import dev.llmaudit.policy.catalog.PriceEntry;
import dev.llmaudit.policy.model.Amounts;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Savings advice: the same model is offered cheaper by more than {@code minSavingPercent} on another
 * cloud, region or deployment scope that also satisfies the call's residency requirement (the
 * call's {@code data_residency} and every residency policy that applies to it). The finding names
 * the alternative and the saving.
 *
 * <p>Like with like: the call's route and the alternatives are compared at list prices (published,
 * derived or corrected), also when the call itself was priced at a negotiated price. A price that a
 * scope rule derived is named as such in the message. A saving smaller than the catalog's precision
 * ({@link Alternatives#PRECISION_PERCENT}) is never claimed.
 *
 * <p>A finding is advice ({@link Finding#advice()}: not a violation) unless the saving exceeds both
 * violation thresholds, when they are set: {@code violationSavingPercent} and {@code violationSaving}
 * (an amount per call). That is the case "this team pays for a premium route for no reason".
 */
public record PriceCheckPolicy(PolicyMeta meta, BigDecimal minSavingPercent, BigDecimal violationSavingPercent,
                               BigDecimal violationSaving) implements Policy {
    public PriceCheckPolicy(PolicyMeta meta, BigDecimal minSavingPercent) {
        this(meta, minSavingPercent, null, null);
    }

    /** Whether a saving is large enough to be a violation rather than advice. */
    boolean violation(BigDecimal percent, BigDecimal saving) {
        return violationSavingPercent != null && violationSaving != null && percent.compareTo(violationSavingPercent) > 0
                && saving.compareTo(violationSaving) > 0;
    }

    @Override
    public void check(CheckContext ctx) {
        if (!ctx.pricing().priced() || ctx.pricing().total().signum() == 0) {
            return;
        }
        LlmCall c = ctx.call();
        long input = nz(c.inputTokens());
        long cached = nz(c.cachedInputTokens());
        long output = nz(c.outputTokens());
        long reasoning = nz(c.reasoningTokens());
        PriceEntry used = ctx.pricing().entry();
        if (used.basis() == PriceBasis.NEGOTIATED) {
            // Compare the route's list price with the others' list prices, not a contract with a list.
            used = ctx.prices().lookup(c.cloud(), c.model(), c.region(), ctx.location().scope(), ctx.location().zone(), c.eventTime())
                    .orElse(null);
            if (used == null) {
                return;
            }
        }
        BigDecimal current = ctx.prices().cost(used, input, cached, output, reasoning).total();
        if (current.signum() == 0) {
            return;
        }
        PriceEntry cheapest = Alternatives.cheapestEntry(ctx.prices(), ctx.regions(), c.model(), c.eventTime(), input, cached, output,
                reasoning, ctx.residencyRequirement(), used);
        if (cheapest == null) {
            return;
        }
        BigDecimal altCost = ctx.prices().cost(cheapest, input, cached, output, reasoning).total();
        BigDecimal percent = Alternatives.savingPercent(current, altCost);
        if (percent.compareTo(minSavingPercent) <= 0 || !Alternatives.beyondPrecision(current, altCost)) {
            return;
        }
        // Only now, for a finding: where the alternative would run, in words.
        String where = Alternatives.compliantLocation(ctx.prices(), ctx.regions(), cheapest, ctx.residencyRequirement(), c.eventTime())
                .orElseThrow();
        String currency = ctx.prices().currency();
        BigDecimal saving = current.subtract(altCost);
        String residency = ctx.residencyRequirement().isEmpty() ? ""
                : ", which also satisfies " + String.join(", ", new java.util.TreeSet<>(ctx.residencyRequirement())) + " residency";
        String basis = basisNote(used, cheapest);
        String message = c.model() + " cost " + Amounts.display(current) + " " + currency + " via " + used.id()
                + (ctx.pricing().entry() != used ? " at list price" : "")
                + "; the same tokens cost " + Amounts.display(altCost) + " " + currency + " on " + where
                + " (saving " + Amounts.display(saving) + " " + currency + ", " + percent.toPlainString() + "%)" + residency + basis
                + "; policy " + meta.id();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("current_entry", used.id());
        details.put("current_basis", used.basisText());
        details.put("alternative_entry", cheapest.id());
        details.put("alternative_basis", cheapest.basisText());
        details.put("alternative", where);
        details.put("current_cost", Amounts.plain(current));
        details.put("alternative_cost", Amounts.plain(altCost));
        details.put("saving", Amounts.plain(saving));
        details.put("saving_percent", percent.toPlainString());
        boolean violation = violation(percent, saving);
        ctx.add(new Finding(FindingIds.of(c.eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(), c.eventId(), message, details,
                !violation));
    }

    /** Says which of the compared prices a scope rule derived (never a recommendation on a derived price without saying so). */
    static String basisNote(PriceEntry current, PriceEntry alternative) {
        boolean a = alternative.basis() == PriceBasis.DERIVED;
        boolean c = current.basis() == PriceBasis.DERIVED;
        if (!a && !c) {
            return "";
        }
        if (a && c && java.util.Objects.equals(alternative.rule(), current.rule())) {
            return "; both prices derived by scope rule " + alternative.rule();
        }
        StringBuilder b = new StringBuilder();
        if (c) {
            b.append("; the current price is derived by scope rule ").append(current.rule());
        }
        if (a) {
            b.append("; the alternative's price is derived by scope rule ").append(alternative.rule());
        }
        return b.toString();
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
