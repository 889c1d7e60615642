package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LlmAuditCommandTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = LlmAuditCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @CommandLine.Command(name = "boom")
    static final class Boom implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("could not start", new java.net.UnknownHostException("vm: Name or service not known"));
        }
    }

    @Test
    void anUnexpectedFailureIsOneLineWithItsCauseNotAStackTrace() {
        CommandLine root = LlmAuditCommand.commandLine();
        root.addSubcommand(new Boom());
        StringWriter err = new StringWriter();
        root.setErr(new PrintWriter(err, true));
        assertThat(root.execute("boom")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("llm-audit boom: stopped by an error: UnknownHostException: vm: Name or service not known"
                + " (this host's name must resolve: check /etc/hosts) (set LLM_AUDIT_LOG_LEVEL=debug for details)"
                + System.lineSeparator());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: llm-audit", "events", "data-residency");
    }

    @Test
    void everySubcommandHasHelp() {
        assertThat(run("events", "--help").out()).contains("Usage: llm-audit events");
        assertThat(run("events", "validate", "--help").out()).contains("Usage: llm-audit events validate", "FILE");
    }

    @Test
    void validateAcceptsAGoodFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ok.jsonl");
        Files.writeString(file, "{\"event_id\":\"a\",\"event_time\":\"2026-11-26T10:00:00Z\",\"cloud\":\"azure\"}\n\n"
                + "{\"event_id\":\"b\",\"event_time\":\"2026-11-26T10:00:01Z\"}\n");
        Run r = run("events", "validate", file.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("2 valid, 0 invalid");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void validateNamesFileLineAndFieldOfEachProblem(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"event_id\":\"a\",\"event_time\":\"2026-11-26T10:00:00Z\"}\n"
                + "{\"event_id\":\"b\",\"event_time\":\"yesterday\"}\n"
                + "{\"event_id\":\"c\",\"event_time\":\"2026-11-26T10:00:00Z\",\"input_tokens\":-3}\n"
                + "not json\n");
        Run r = run("events", "validate", file.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(file + ":2: event_time: not an ISO-8601 instant: \"yesterday\"")
                .contains(file + ":3: input_tokens: must be >= 0, got -3")
                .contains(file + ":4: $: malformed JSON at line 1, column 1: Unrecognized token 'not'");
        assertThat(r.out()).contains("1 valid, 3 invalid");
    }

    @Test
    void missingFileSaysSo(@TempDir Path dir) {
        Run r = run("events", "validate", dir.resolve("nope.jsonl").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no such file");
    }
}
