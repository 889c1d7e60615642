package dev.llmaudit.enforcer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.jobs.ReadmeSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's key table is the declaration, and a declared check refuses a bad value naming the key. */
class SettingsDocumentedTest {
    @Test
    void theReadmeTableIsTheDeclaration() throws Exception {
        assertThat(ReadmeSettings.section(Path.of("README.md"), "enforcer")).as("paste this into stream-jobs/enforcer/README.md")
                .isEqualTo(EnforcerConfig.SETTINGS.markdownTable(null));
    }

    @Test
    void aBadValueIsRefusedNamingItsKey() {
        assertThatThrownBy(() -> EnforcerConfig.SETTINGS.bind(Map.of("dedup.horizon", "7 days")))
                .hasMessageContaining("dedup.horizon").hasMessageContaining("ISO-8601 duration");
        assertThat(EnforcerConfig.SETTINGS.bind(Map.of()).duration("budget.flush.interval")).hasMillis(200);
    }
}
