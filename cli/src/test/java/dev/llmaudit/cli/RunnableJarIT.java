package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shaded jar the ./llm-audit launcher runs starts on its own, with nothing else on the class path. */
class RunnableJarIT {
    @Test
    void shadedJarPrintsHelpAndVersion() throws Exception {
        Path jar = Path.of(System.getProperty("llmaudit.jar"));
        assertThat(jar).exists();

        Result help = java(jar, "--help");
        assertThat(help.exit).isZero();
        assertThat(help.out).contains("Usage: llm-audit");

        Result version = java(jar, "--version");
        assertThat(version.exit).isZero();
        assertThat(version.out).startsWith("llm-audit ");
    }

    record Result(int exit, String out) {}

    static Result java(Path jar, String... args) throws IOException, InterruptedException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin, "-Xmx256m", "-jar", jar.toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
