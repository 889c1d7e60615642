package dev.llmaudit.rollups;

import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/** What finance checks: totals of requests, tokens and cost, from samples or from the latest rollup per key. */
record Totals(long requests, long tokens, BigDecimal cost, long unpriced) {
    static Totals ofSamples(Collection<UsageSample> samples) {
        long requests = 0;
        long tokens = 0;
        long unpriced = 0;
        BigDecimal cost = BigDecimal.ZERO;
        for (UsageSample s : samples) {
            requests++;
            tokens += s.inputTokens + s.outputTokens;
            unpriced += s.isUnpriced() ? 1 : 0;
            if (s.isPriced()) {
                cost = cost.add(s.cost);
            }
        }
        return new Totals(requests, tokens, cost.stripTrailingZeros(), unpriced);
    }

    /** Latest revision per record key (as a compacted topic keeps it), corrections included. */
    static Map<String, UsageRollup> latestPerKey(Collection<UsageRollup> rollups) {
        Map<String, UsageRollup> latest = new HashMap<>();
        for (UsageRollup r : rollups) {
            latest.merge(r.getXRollupKey(), r, (a, b) -> b.getXRevision() >= a.getXRevision() ? b : a);
        }
        return latest;
    }

    static Totals ofRollups(Collection<UsageRollup> latest, RollupGranularity g) {
        long requests = 0;
        long tokens = 0;
        long unpriced = 0;
        BigDecimal cost = BigDecimal.ZERO;
        for (UsageRollup r : latest) {
            if (r.getXGranularity() != g) {
                continue;
            }
            requests += r.getXRequestCount();
            tokens += r.getConsumedQuantity();
            unpriced += r.getXUnpricedCount();
            cost = cost.add(r.getListCost().getAmount());
        }
        return new Totals(requests, tokens, cost.stripTrailingZeros(), unpriced);
    }
}
