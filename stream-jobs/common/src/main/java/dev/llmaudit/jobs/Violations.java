package dev.llmaudit.jobs;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PolicyKind;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.Severity;
import dev.llmaudit.policy.model.Finding;
import java.time.Instant;
import java.util.Map;

/** The one place a policy finding becomes an {@code llm.violations} record. */
public final class Violations {
    private Violations() {}

    /** A finding about one call: the record names the call and where it ran. */
    public static PolicyViolation ofCall(Finding f, LlmCallEvent e, String bundleVersion, String catalogVersion, Instant detectedAt) {
        return base(f, bundleVersion, catalogVersion, detectedAt).setEventId(e.getEventId()).setEventTime(e.getEventTime())
                .setTenant(e.getTenant()).setTeam(e.getTeam()).setApp(e.getApp()).setEnvironment(e.getEnvironment())
                .setCloud(e.getCloud()).setRegion(e.getRegion()).setProvider(e.getProvider()).setModel(e.getRequestModel())
                .build();
    }

    /**
     * A finding about a budget instance (a threshold crossed): the record names the budget's scope, and the
     * call whose spend crossed it.
     *
     * @param scope the budget instance's scope keys (tenant, team, app, environment, region, provider); others are ignored
     */
    public static PolicyViolation ofBudget(Finding f, String eventId, Map<String, String> scope, String bundleVersion, String catalogVersion,
                                           Instant detectedAt) {
        PolicyViolation.Builder v = base(f, bundleVersion, catalogVersion, detectedAt).setEventId(eventId);
        scope.forEach((k, val) -> {
            switch (k) {
                case "tenant" -> v.setTenant(val);
                case "team" -> v.setTeam(val);
                case "app" -> v.setApp(val);
                case "environment" -> v.setEnvironment(val);
                case "region" -> v.setRegion(val);
                case "provider" -> v.setProvider(val);
                default -> { }
            }
        });
        return v.build();
    }

    private static PolicyViolation.Builder base(Finding f, String bundleVersion, String catalogVersion, Instant detectedAt) {
        return PolicyViolation.newBuilder().setViolationId(f.id()).setPolicyId(f.policyId())
                .setPolicyKind(PolicyKind.valueOf(f.kind().id())).setSeverity(Severity.valueOf(f.severity().id()))
                .setMessage(f.message()).setDetectedAt(detectedAt).setBundleVersion(bundleVersion).setCatalogVersion(catalogVersion)
                // In the order the policy wrote them (tail prints them so), not Map.copyOf's.
                .setDetails(new java.util.LinkedHashMap<>(f.details()));
    }
}
