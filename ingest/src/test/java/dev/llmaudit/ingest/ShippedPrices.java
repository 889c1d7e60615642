package dev.llmaudit.ingest;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.catalog.Pricing;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import java.math.BigDecimal;
import java.nio.file.Path;

/** Prices captured events with the shipped bundle, as the enforcer does, so capture tests can check cost. */
public final class ShippedPrices {
    private static final Path BUNDLE = Path.of("..", "policies", "bundle").toAbsolutePath().normalize();
    private static final PolicyEngine ENGINE;

    static {
        BundleLoader.Result r = BundleLoader.load(BUNDLE);
        if (!r.ok()) {
            throw new IllegalStateException(r.problems().toString());
        }
        ENGINE = new PolicyEngine(r.bundle());
    }

    private ShippedPrices() {}

    /** The pricing the enforcer would give this event. */
    public static Pricing pricing(LlmCallEvent e) {
        return ENGINE.evaluate(LlmCalls.from(e)).pricing();
    }

    /** The cost in USD, or an AssertionError naming why the event is unpriced. */
    public static BigDecimal cost(LlmCallEvent e) {
        Pricing p = pricing(e);
        if (!p.priced()) {
            throw new AssertionError("event " + e.getEventId() + " is unpriced: " + p.reason());
        }
        return p.total().stripTrailingZeros();
    }
}
