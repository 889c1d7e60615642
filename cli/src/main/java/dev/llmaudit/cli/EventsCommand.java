package dev.llmaudit.cli;

import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.FieldError;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Tools for files of events in the canonical JSON form (one event per line). */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = "Work with files of LLM call events in the canonical JSON form.",
        subcommands = {EventsCommand.Validate.class})
final class EventsCommand extends GroupCommand {
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = {"Check a JSON-lines file of events against the canonical contract (schemas/README.md).",
                    "Every bad line is reported as FILE:LINE: field: problem. Exit 0 when all lines are valid, 1 otherwise."})
    static final class Validate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "Events, one JSON object per line (blank lines are ignored).")
        Path file;

        @CommandLine.Option(names = "--max-errors", defaultValue = "100",
                description = "Stop listing after this many bad lines (all lines are still counted). Default: ${DEFAULT-VALUE}.")
        int maxErrors;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            long lines = 0;
            long valid = 0;
            long bad = 0;
            long duplicates = 0;
            Set<String> ids = new HashSet<>();
            var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
            try (BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), decoder))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines++;
                    if (line.isBlank()) {
                        continue;
                    }
                    EventParseResult result = LlmCallEventJson.parse(line);
                    if (result.isValid()) {
                        valid++;
                        if (!ids.add(result.event().getEventId())) {
                            duplicates++;
                        }
                        continue;
                    }
                    bad++;
                    if (bad <= maxErrors) {
                        for (FieldError e : result.errors()) {
                            err.println(file + ":" + lines + ": " + e);
                        }
                    }
                }
            } catch (NoSuchFileException e) {
                err.println("llm-audit events validate: no such file: " + file);
                return 2;
            } catch (CharacterCodingException e) {
                err.println(file + ":" + (lines + 1) + ": $: not valid UTF-8 text");
                return 1;
            } catch (IOException e) {
                err.println("llm-audit events validate: cannot read " + file + ": " + e.getMessage());
                return 2;
            }
            if (bad > maxErrors) {
                err.println("... " + (bad - maxErrors) + " more bad lines not listed (see --max-errors)");
            }
            out.printf("%s: %d valid, %d invalid%s%n", file, valid, bad,
                    duplicates > 0 ? ", " + duplicates + " repeated event_id (deduplicated downstream)" : "");
            return bad == 0 ? 0 : 1;
        }
    }
}
