package dev.llmaudit.policy.catalog;

import java.math.BigDecimal;

/**
 * Exact cost of one call by token kind. Cached input tokens are a subset of input tokens and
 * reasoning tokens a subset of output tokens, so each token is charged exactly once.
 */
public record CostBreakdown(BigDecimal input, BigDecimal cachedInput, BigDecimal output, BigDecimal reasoning, String currency) {
    public BigDecimal total() {
        return input.add(cachedInput).add(output).add(reasoning);
    }

    public static CostBreakdown zero(String currency) {
        return new CostBreakdown(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, currency);
    }
}
