package dev.llmaudit.jobs;

import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
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
        CostBreakdown c = p.cost();
        // Only when cost is a negotiated price: otherwise cost is the list cost, and one copy is enough.
        CostBreakdown list = p.entry() == null || p.entry().basis() != PriceBasis.NEGOTIATED ? null : p.listCost();
        return PricedLlmCall.newBuilder().setEvent(event)
                .setPricingStatus(switch (p.status()) {
                    case PRICED -> PricingStatus.priced;
                    case UNPRICED -> PricingStatus.unpriced;
                    case NO_USAGE -> PricingStatus.no_usage;
                })
                .setCost(p.total() == null ? null : ContractMoney.of(p.total(), currency))
                .setInputCost(c == null ? null : ContractMoney.of(c.input(), currency))
                .setCachedInputCost(c == null ? null : ContractMoney.of(c.cachedInput(), currency))
                .setOutputCost(c == null ? null : ContractMoney.of(c.output(), currency))
                .setReasoningCost(c == null ? null : ContractMoney.of(c.reasoning(), currency))
                .setPriceEntry(p.entry() == null ? null : p.entry().id())
                .setPriceBasis(p.entry() == null ? null : p.entry().basis().id())
                .setPriceRule(p.entry() == null ? null : p.entry().rule())
                .setListCost(list == null ? null : ContractMoney.of(list.total(), currency))
                .setListInputCost(list == null ? null : ContractMoney.of(list.input(), currency))
                .setListCachedInputCost(list == null ? null : ContractMoney.of(list.cachedInput(), currency))
                .setListOutputCost(list == null ? null : ContractMoney.of(list.output(), currency))
                .setListReasoningCost(list == null ? null : ContractMoney.of(list.reasoning(), currency))
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
}
