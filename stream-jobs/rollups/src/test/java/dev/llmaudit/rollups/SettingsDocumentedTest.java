package dev.llmaudit.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.jobs.ReadmeSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's key table is the declaration, and a declared check refuses a bad value naming the key. */
class SettingsDocumentedTest {
    @Test
    void theReadmeTableIsTheDeclaration() throws Exception {
        assertThat(ReadmeSettings.section(Path.of("README.md"), "rollups")).as("paste this into stream-jobs/rollups/README.md")
                .isEqualTo(RollupsConfig.SETTINGS.markdownTable(null));
    }

    @Test
    void aBadValueIsRefusedNamingItsKey() {
        assertThatThrownBy(() -> RollupsConfig.SETTINGS.bind(Map.of("parallelism", "0")))
                .hasMessageContaining("parallelism").hasMessageContaining("at least 1");
        assertThatThrownBy(() -> RollupsConfig.SETTINGS.bind(Map.of("bounded", "maybe"))).hasMessageContaining("bounded");
    }

    @Test
    void theDefaultTopicsAreThePipelines() {
        PipelineTopics t = PipelineTopics.defaults();
        RollupsConfig c = RollupsConfig.defaults();
        assertThat(c.pricedTopic()).isEqualTo(t.priced());
        assertThat(c.policiesTopic()).isEqualTo(t.policies());
        assertThat(c.rollupsTopic()).isEqualTo(t.rollups());
        assertThat(c.dlqTopic()).isEqualTo(t.dlq());
    }
}
