package dev.llmaudit.policy.model;

import java.math.BigDecimal;

/** How exact amounts are shown to people: every significant digit kept, at least two decimals. */
public final class Amounts {
    private Amounts() {}

    /** {@code 1.600000 -> "1.60"}, {@code 0.000123 -> "0.000123"}, {@code 5 -> "5.00"}. Never rounds. */
    public static String display(BigDecimal amount) {
        BigDecimal s = amount.stripTrailingZeros();
        return s.scale() < 2 ? s.setScale(2).toPlainString() : s.toPlainString();
    }

    /** Plain text without trailing zeros, for machine-readable output ({@code 1.6}, {@code 0}). */
    public static String plain(BigDecimal amount) {
        BigDecimal s = amount.stripTrailingZeros();
        return s.signum() == 0 ? "0" : s.toPlainString();
    }
}
