package dev.llmaudit.policy.catalog;

import java.util.Set;

/**
 * A provider's data zone: the set of jurisdictions a data-zone deployment may process in
 * (Azure Data Zone EU/US, Bedrock {@code eu.}/{@code us.}/{@code apac.}/... inference profiles).
 */
public record DataZone(String cloud, String id, Set<String> jurisdictions, String description) {
    public DataZone {
        jurisdictions = Set.copyOf(jurisdictions);
    }
}
