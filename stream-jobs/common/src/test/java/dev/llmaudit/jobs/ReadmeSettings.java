package dev.llmaudit.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a settings table a module README keeps between generated-section markers. */
public final class ReadmeSettings {
    private ReadmeSettings() {}

    /** The text between {@code <!-- settings:NAME ... -->} and {@code <!-- /settings:NAME -->} of the README. */
    public static String section(Path readme, String name) throws IOException {
        String text = Files.readString(readme);
        String open = "<!-- settings:" + name + " (generated from the declaration; SettingsDocumentedTest) -->\n";
        String close = "<!-- /settings:" + name + " -->";
        int from = text.indexOf(open);
        int to = text.indexOf(close);
        assertThat(from).as(readme + " section " + open.strip()).isNotNegative();
        assertThat(to).as(readme + " section end " + close).isGreaterThan(from);
        return text.substring(from + open.length(), to);
    }
}
