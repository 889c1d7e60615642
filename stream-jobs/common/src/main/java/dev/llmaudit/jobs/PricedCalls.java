package dev.llmaudit.jobs;

import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.PricingStatus;
import dev.llmaudit.policy.catalog.CostBreakdown;
import dev.llmaudit.policy.catalog.PriceBasis;
import dev.llmaudit.policy.catalog.Pricing;
import dev.llmaudit.policy.engine.Evaluation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** The {@code llm.events.priced} record of an evaluated call (the rollups job's input). */
public final class PricedCalls {
    private PricedCalls() {}

    /**
     * @param currency the price catalog's currency
     * @param violationIds ids of the findings the call produced
     * @param now evaluation time
     */
    public static PricedLlmCall of(LlmCallEvent event, Evaluation e, String currency, List<String> violationIds, Instant now) {
        Pricing p = e.pricing();
        // Each part is rounded to the contract's 12 decimals (only prices finer than 10^-6 per million need it) and
        // the totals are the sums of the rounded parts, so parts and totals always add up exactly downstream.
        Money[] cost = parts(p.cost(), currency);
        // Only when cost is a negotiated price: otherwise cost is the list cost, and one copy is enough.
        Money[] list = p.entry() == null || p.entry().basis() != PriceBasis.NEGOTIATED ? null : parts(p.listCost(), currency);
        return PricedLlmCall.newBuilder().setEvent(event)
                .setPricingStatus(switch (p.status()) {
                    case PRICED -> PricingStatus.priced;
                    case UNPRICED -> PricingStatus.unpriced;
                    case NO_USAGE -> PricingStatus.no_usage;
                })
                .setCost(cost == null ? null : total(cost, currency))
                .setInputCost(cost == null ? null : cost[0])
                .setCachedInputCost(cost == null ? null : cost[1])
                .setOutputCost(cost == null ? null : cost[2])
                .setReasoningCost(cost == null ? null : cost[3])
                .setListCost(list == null ? null : total(list, currency))
                .setListInputCost(list == null ? null : list[0])
                .setListCachedInputCost(list == null ? null : list[1])
                .setListOutputCost(list == null ? null : list[2])
                .setListReasoningCost(list == null ? null : list[3])
                .setPriceEntry(p.entry() == null ? null : p.entry().id())
                .setPriceBasis(p.entry() == null ? null : p.entry().basis().id())
                .setPriceRule(p.entry() == null ? null : p.entry().rule())
                .setUnpricedReason(p.reason())
                .setResidencyRequirement(new ArrayList<>(new TreeSet<>(e.residencyRequirement())))
                .setCatalogVersion(e.catalogVersion())
                .setBundleVersion(e.bundleVersion())
                .setProcessingJurisdictions(new ArrayList<>(new TreeSet<>(e.processing().jurisdictions())))
                .setEffectiveScope(e.processing().scope() == null ? null : DeploymentScope.valueOf(e.processing().scope().id()))
                .setResidencyOk(!e.residencyViolated())
                .setViolationIds(violationIds)
                .setEvaluatedAt(now)
                .build();
    }

    private static Money[] parts(CostBreakdown c, String currency) {
        return c == null ? null : new Money[] {ContractMoney.of(c.input(), currency), ContractMoney.of(c.cachedInput(), currency),
                ContractMoney.of(c.output(), currency), ContractMoney.of(c.reasoning(), currency)};
    }

    private static Money total(Money[] parts, String currency) {
        java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
        for (Money m : parts) {
            sum = sum.add(m.getAmount());
        }
        return ContractMoney.of(sum, currency);
    }
}
