package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.Scope;
import java.util.Set;

/**
 * Where a call's data may have been processed, derived from cloud, region and deployment scope.
 *
 * @param jurisdictions the jurisdictions processing may happen in; {@code *} means anywhere
 * @param scope the effective deployment scope (explicit or derived)
 * @param zone the data zone for data-zone calls, else null
 * @param description how it was processed, for messages ("global inference profile global.x from eu-central-1")
 * @param unknownReason non-null when the location cannot be determined (unknown region, missing cloud)
 */
public record ProcessingLocation(Set<String> jurisdictions, Scope scope, String zone, String description, String unknownReason) {
    public static final String ANYWHERE = "*";

    public ProcessingLocation {
        jurisdictions = Set.copyOf(jurisdictions);
    }

    public static ProcessingLocation unknown(String reason) {
        return new ProcessingLocation(Set.of(), null, null, "unknown location", reason);
    }

    public boolean known() {
        return unknownReason == null;
    }

    public boolean anywhere() {
        return jurisdictions.contains(ANYWHERE);
    }

    /** True when every place processing may happen is among the allowed jurisdictions. */
    public boolean within(Set<String> allowed) {
        if (!known()) {
            return false;
        }
        if (allowed.contains(ANYWHERE)) {
            return true;
        }
        return !anywhere() && allowed.containsAll(jurisdictions);
    }
}
