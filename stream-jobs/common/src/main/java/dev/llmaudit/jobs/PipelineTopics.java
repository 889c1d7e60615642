package dev.llmaudit.jobs;

/**
 * The pipeline's topics, named once (their partitions and cleanup are in {@code deploy/topics.yaml}).
 *
 * @param events input: {@code LlmCallEvent}s keyed by event_id
 * @param dlq records that could not be read, validated or rolled up, with the reason
 * @param priced events with cost, processing location and versions: the rollups job's input
 * @param violations policy findings for security
 * @param budgetStatus compacted: per budget instance and period, spend and last threshold crossed
 * @param policies compacted: the policy bundle in force (hot reload in both jobs)
 * @param rollups compacted: usage and spend by event-time window, the latest revision per key
 */
public record PipelineTopics(String events, String dlq, String priced, String violations, String budgetStatus, String policies,
                             String rollups) {
    public static PipelineTopics defaults() {
        return new PipelineTopics("llm.events", "llm.events.dlq", "llm.events.priced", "llm.violations", "llm.budget.status", "llm.policies",
                "llm.usage.rollups");
    }

    /** Same names with a prefix, for tests that share a cluster. */
    public PipelineTopics prefixed(String prefix) {
        return new PipelineTopics(prefix + events, prefix + dlq, prefix + priced, prefix + violations, prefix + budgetStatus,
                prefix + policies, prefix + rollups);
    }
}
