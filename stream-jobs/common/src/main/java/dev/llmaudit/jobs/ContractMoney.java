package dev.llmaudit.jobs;

import dev.llmaudit.avro.Money;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The one place an amount becomes the contract's {@code Money}: Avro {@code decimal(38, 12)}. Both jobs
 * write money through here, so a priced event, a budget status and a rollup round and bound it alike.
 */
public final class ContractMoney {
    /** Money's scale in the contract. */
    public static final int SCALE = 12;
    /** Money's precision in the contract: at most 38 - 12 = 26 integer digits. */
    public static final int PRECISION = 38;

    private ContractMoney() {}

    /**
     * Catalog prices with up to 6 decimals per million tokens give costs with at most 12 decimals, which fit
     * exactly, and so do sums of them; finer prices (float noise in some sources) are rounded half-even to 10^-12.
     *
     * @throws Unrepresentable when the amount has more than 26 integer digits. Checked here rather than left to
     *     the Avro encoder: an encoding failure in a sink would restart the job into the same failure forever.
     */
    public static Money of(BigDecimal amount, String currency) {
        BigDecimal scaled = amount.setScale(SCALE, RoundingMode.HALF_EVEN);
        if (scaled.precision() > PRECISION) {
            throw new Unrepresentable("an amount of " + scaled.precision() + " digits (" + scaled.toBigInteger().toString().length()
                    + " integer digits) does not fit the contract's decimal(38, 12)");
        }
        return Money.newBuilder().setAmount(scaled).setCurrency(currency).build();
    }

    /** An amount the contract cannot carry exactly; the caller dead-letters the record instead of writing it wrong. */
    public static class Unrepresentable extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public Unrepresentable(String message) {
            super(message);
        }
    }
}
