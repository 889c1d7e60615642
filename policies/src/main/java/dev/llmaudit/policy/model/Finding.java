package dev.llmaudit.policy.model;

import java.util.Map;

/**
 * One policy finding: a violation of a residency, model, cap or custom policy, an advisory price
 * finding, or a budget threshold crossing.
 *
 * @param id deterministic: the same event and policy (or budget, period and threshold) give the same id on every run
 * @param eventId the call that caused it
 * @param message human-readable: what happened, which policy it breaks, what would have been allowed
 * @param details machine-readable specifics, in a stable order (the caller's map is wrapped, not copied: hand over a fresh one)
 * @param advice savings advice rather than a breach (a price check below its violation thresholds): shown by
 *     {@code policies dry-run} and {@code policies test}, carried in aggregate by the rollups' counterfactual, and
 *     not written to the violations topic, which security reviews
 */
public record Finding(String id, String policyId, PolicyKind kind, Severity severity, String eventId, String message,
                      Map<String, String> details, boolean advice) {
    public Finding {
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(details);
    }

    /** A violation (not advice). */
    public Finding(String id, String policyId, PolicyKind kind, Severity severity, String eventId, String message, Map<String, String> details) {
        this(id, policyId, kind, severity, eventId, message, details, false);
    }
}
