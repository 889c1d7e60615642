package dev.llmaudit.rollups;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.model.LlmCall;
import java.util.ArrayList;
import java.util.TreeSet;

/** Turns the enforcer's priced events into {@link UsageSample}s (pure; no Flink state). */
public final class UsageSamples {
    private UsageSamples() {}

    /**
     * Everything comes from the priced record, as the enforcer decided it (cost, entry, basis, residency
     * requirement, bundle version): the rollups count, they do not judge again.
     *
     * @param defaultCurrency the billing currency of calls that carry no cost at all
     */
    public static UsageSample from(PricedLlmCall priced, String defaultCurrency) {
        LlmCallEvent e = priced.getEvent();
        LlmCall call = LlmCalls.from(e);
        UsageSample s = new UsageSample();
        s.eventId = e.getEventId();
        s.eventTimeMillis = e.getEventTime().toEpochMilli();
        s.tenant = e.getTenant();
        s.team = e.getTeam();
        s.app = e.getApp();
        s.environment = e.getEnvironment();
        s.cloud = e.getCloud() == null ? null : e.getCloud().name();
        s.region = e.getRegion();
        s.provider = e.getProvider();
        s.model = call.model();
        s.operation = e.getOperation() == null ? null : e.getOperation().name();
        s.error = e.getStatus() == CallStatus.error;
        s.pricingStatus = priced.getPricingStatus().name();
        s.inputTokens = orZero(e.getInputTokens());
        s.outputTokens = orZero(e.getOutputTokens());
        s.cachedInputTokens = orZero(e.getCachedInputTokens());
        s.reasoningTokens = orZero(e.getReasoningTokens());
        s.latencyMs = e.getLatencyMs() == null ? -1 : e.getLatencyMs();
        if (priced.getCost() != null) {
            s.cost = priced.getCost().getAmount();
            s.currency = priced.getCost().getCurrency();
            s.listCost = priced.getListCost() == null ? null : priced.getListCost().getAmount();
            s.inputCost = amount(priced.getInputCost());
            s.cachedInputCost = amount(priced.getCachedInputCost());
            s.outputCost = amount(priced.getOutputCost());
            s.reasoningCost = amount(priced.getReasoningCost());
            s.listInputCost = amount(priced.getListInputCost());
            s.listCachedInputCost = amount(priced.getListCachedInputCost());
            s.listOutputCost = amount(priced.getListOutputCost());
            s.listReasoningCost = amount(priced.getListReasoningCost());
        }
        if (e.getReportedCost() != null) {
            if (s.currency == null) {
                s.currency = e.getReportedCost().getCurrency();
            }
            // A reported cost in another currency than the list cost is not added to BilledCost.
            if (s.currency.equals(e.getReportedCost().getCurrency())) {
                s.billedCost = e.getReportedCost().getAmount();
            }
        }
        if (s.currency == null) {
            s.currency = defaultCurrency;
        }
        s.priceEntry = priced.getPriceEntry();
        s.priceBasis = priced.getPriceBasis() == null ? null
                : priced.getPriceRule() == null ? priced.getPriceBasis() : priced.getPriceBasis() + " (rule " + priced.getPriceRule() + ")";
        s.catalogVersion = priced.getCatalogVersion();
        s.residencyRequirement = priced.getResidencyRequirement() == null ? null : new ArrayList<>(new TreeSet<>(priced.getResidencyRequirement()));
        s.bundleVersion = priced.getBundleVersion();
        s.dimensionKey = dimensionKey(s);
        return s;
    }

    /** The grouping key of the rollup dimensions (window not included); '|' separated, '-' for absent. */
    public static String dimensionKey(UsageSample s) {
        StringBuilder b = new StringBuilder(128);
        b.append(nz(s.tenant)).append('|').append(nz(s.team)).append('|').append(nz(s.app)).append('|').append(nz(s.environment))
                .append('|').append(nz(s.cloud)).append('|').append(nz(s.region)).append('|').append(nz(s.provider)).append('|')
                .append(nz(s.model)).append('|').append(nz(s.operation)).append('|').append(nz(s.currency));
        return b.toString();
    }

    /** The key the job groups by: computed once when the sample is made (the key selector runs several times per record). */
    public static String keyOf(UsageSample s) {
        return s.dimensionKey != null ? s.dimensionKey : dimensionKey(s);
    }

    private static String nz(String v) {
        if (v == null) {
            return "-";
        }
        // Keep the key unambiguous when a value contains the separator or the absent marker.
        if (v.indexOf('|') < 0 && v.indexOf('%') < 0 && !v.equals("-")) {
            return v;
        }
        return v.replace("%", "%25").replace("|", "%7C").replace("-", "%2D");
    }

    private static java.math.BigDecimal amount(dev.llmaudit.avro.Money m) {
        return m == null ? null : m.getAmount();
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }
}
