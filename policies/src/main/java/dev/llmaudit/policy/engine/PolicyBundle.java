package dev.llmaudit.policy.engine;

import dev.llmaudit.policy.catalog.PriceCatalog;
import dev.llmaudit.policy.catalog.RegionCatalog;
import dev.llmaudit.policy.rules.Policy;
import java.util.List;

/** A validated policy bundle: catalogs plus policies, with the version every finding names. */
public record PolicyBundle(String name, String version, RegionCatalog regions, PriceCatalog prices, List<Policy> policies) {
    public PolicyBundle {
        policies = List.copyOf(policies);
    }
}
