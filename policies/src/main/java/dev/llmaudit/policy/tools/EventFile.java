package dev.llmaudit.policy.tools;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Reads a file of events in the canonical JSON form, one per line. Bad lines are kept with their
 * line number and reason and skipped, never fatal.
 */
public final class EventFile {
    /** A line that could not be read as an event. */
    public record BadLine(long line, String reason) {}

    /** The calls read and the lines skipped. */
    public record Contents(List<LlmCall> calls, List<BadLine> badLines, long lines) {}

    private EventFile() {}

    public static Contents read(Path file, LongConsumer progress) throws IOException {
        List<LlmCall> calls = new ArrayList<>();
        List<BadLine> bad = new ArrayList<>();
        long lineNo = 0;
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder), 1 << 16)) {
            String line;
            while (true) {
                try {
                    line = r.readLine();
                } catch (MalformedInputException e) {
                    bad.add(new BadLine(lineNo + 1, "$: not valid UTF-8; the rest of the file was not read"));
                    break;
                }
                if (line == null) {
                    break;
                }
                lineNo++;
                if (progress != null && lineNo % 50_000 == 0) {
                    progress.accept(lineNo);
                }
                if (line.isBlank()) {
                    continue;
                }
                EventParseResult parsed = LlmCallEventJson.parse(line);
                if (!parsed.isValid()) {
                    bad.add(new BadLine(lineNo, parsed.errorSummary()));
                    continue;
                }
                LlmCallEvent event = parsed.event();
                calls.add(LlmCalls.from(event));
            }
        }
        return new Contents(calls, bad, lineNo);
    }
}
