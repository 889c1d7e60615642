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
 */
public record Finding(String id, String policyId, PolicyKind kind, Severity severity, String eventId, String message,
                      Map<String, String> details) {
    public Finding {
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(details);
    }
}
