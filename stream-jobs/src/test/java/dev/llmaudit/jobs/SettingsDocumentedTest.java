package dev.llmaudit.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.enforcer.EnforcerConfig;
import dev.llmaudit.rollups.RollupsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's key tables are the declarations, and a declared check refuses a bad value naming the key. */
class SettingsDocumentedTest {
    static final Path README = Path.of("README.md");

    static String section(String text, String name) {
        String open = "<!-- settings:" + name + " (generated from the declaration; SettingsDocumentedTest) -->\n";
        String close = "<!-- /settings:" + name + " -->";
        int from = text.indexOf(open);
        int to = text.indexOf(close);
        assertThat(from).as("README section " + open.strip()).isNotNegative();
        return text.substring(from + open.length(), to);
    }

    @Test
    void theReadmeTablesAreTheDeclarations() throws Exception {
        String readme = Files.readString(README);
        assertThat(section(readme, "enforcer")).as("paste this into stream-jobs/README.md")
                .isEqualTo(EnforcerConfig.SETTINGS.markdownTable(null));
        assertThat(section(readme, "rollups")).as("paste this into stream-jobs/README.md")
                .isEqualTo(RollupsConfig.SETTINGS.markdownTable(null));
    }

    @Test
    void aBadValueIsRefusedNamingItsKey() {
        assertThatThrownBy(() -> EnforcerConfig.SETTINGS.bind(Map.of("dedup.horizon", "7 days")))
                .hasMessageContaining("dedup.horizon").hasMessageContaining("ISO-8601 duration");
        assertThatThrownBy(() -> RollupsConfig.SETTINGS.bind(Map.of("parallelism", "0")))
                .hasMessageContaining("parallelism").hasMessageContaining("at least 1");
        assertThatThrownBy(() -> RollupsConfig.SETTINGS.bind(Map.of("bounded", "maybe"))).hasMessageContaining("bounded");
        assertThat(EnforcerConfig.SETTINGS.bind(Map.of()).duration("budget.flush.interval")).hasMillis(200);
    }
}
