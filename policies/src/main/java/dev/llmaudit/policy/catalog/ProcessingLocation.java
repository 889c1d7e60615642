package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.Scope;
import java.util.Set;

/**
 * Where a call's data may have been processed, derived from cloud, region and deployment scope.
 *
 * @param jurisdictions the jurisdictions processing may happen in; {@code *} means anywhere
 * @param scope the effective deployment scope (explicit or derived)
 * @param zone the data zone for data-zone calls, else null
 * @param cloud, model, region, bedrockProfile what the description is made of (built only when a message needs it)
 * @param unknownReason non-null when the location cannot be determined (unknown region, missing cloud)
 */
public record ProcessingLocation(Set<String> jurisdictions, Scope scope, String zone, String cloud, String model, String region,
                                 boolean bedrockProfile, String unknownReason) {
    public static final String ANYWHERE = "*";
    static final Set<String> EVERYWHERE = Set.of(ANYWHERE);

    public static ProcessingLocation unknown(String reason) {
        return new ProcessingLocation(Set.of(), null, null, null, null, null, false, reason);
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

    /** How it was processed, for messages: "global inference profile global.x from eu-central-1". */
    public String description() {
        if (!known()) {
            return "unknown location";
        }
        String m = model == null ? "" : " " + model;
        String via;
        if (bedrockProfile) {
            via = (scope == Scope.GLOBAL ? "global inference profile" : "cross-region inference profile") + m;
        } else if (cloud.equals("azure")) {
            via = switch (scope) {
                case GLOBAL -> "Azure Global deployment" + m;
                case DATA_ZONE -> "Azure Data Zone deployment" + m;
                case REGIONAL -> "Azure regional deployment" + m;
            };
        } else {
            via = switch (scope) {
                case GLOBAL -> cloud + " global endpoint" + m;
                case DATA_ZONE -> cloud + " data-zone endpoint" + m;
                case REGIONAL -> cloud + m;
            };
        }
        if (region == null) {
            return via;
        }
        return via + (scope == Scope.REGIONAL ? " in " : " from ") + region;
    }
}
