package dev.llmaudit.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/topics.yaml is the one definition: every topic the code uses is in it, with the right cleanup. */
class TopicsTest {
    @Test
    void everyTopicTheJobsUseIsDefined() {
        PipelineTopics t = PipelineTopics.defaults();
        List<String> used = List.of(t.events(), t.dlq(), t.priced(), t.violations(), t.budgetStatus(), t.policies(), t.rollups());
        assertThat(Topics.definitions().keySet()).containsExactlyInAnyOrderElementsOf(used);
    }

    @Test
    void latestValueTopicsAreCompactedAndTheOthersHaveARetention() {
        assertThat(Topics.definitions().values().stream().filter(Topics.Definition::compacted).map(Topics.Definition::name))
                .containsExactlyInAnyOrder("llm.budget.status", "llm.policies", "llm.usage.rollups");
        Topics.Definition events = Topics.definition("llm.events");
        assertThat(events.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(events.configs()).isEqualTo(Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofDays(7).toMillis())));
        assertThat(Topics.definition("llm.policies").partitions()).as("one bundle record, one partition").isEqualTo(1);
    }

    @Test
    void anUndefinedTopicIsRefusedByName() {
        assertThatThrownBy(() -> Topics.definition("llm.nope")).hasMessageContaining("llm.nope").hasMessageContaining("deploy/topics.yaml");
    }
}
