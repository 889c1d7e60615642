package dev.llmaudit.enforcer;

/**
 * The enforcer's topics, named once.
 *
 * @param events input: {@code LlmCallEvent}s keyed by event_id
 * @param dlq records that could not be read or validated, with the reason
 * @param priced events with cost, processing location and versions: the rollups job's input
 * @param violations policy findings for security and finance
 * @param budgetStatus compacted: per budget instance and period, spend and last threshold crossed
 * @param policies compacted: the policy bundle in force (hot reload)
 */
public record EnforcerTopics(String events, String dlq, String priced, String violations, String budgetStatus, String policies) {
    public static EnforcerTopics defaults() {
        return new EnforcerTopics("llm.events", "llm.events.dlq", "llm.events.priced", "llm.violations", "llm.budget.status", "llm.policies");
    }

    /** Same names with a prefix, for tests that share a cluster. */
    public EnforcerTopics prefixed(String prefix) {
        return new EnforcerTopics(prefix + events, prefix + dlq, prefix + priced, prefix + violations, prefix + budgetStatus, prefix + policies);
    }
}
