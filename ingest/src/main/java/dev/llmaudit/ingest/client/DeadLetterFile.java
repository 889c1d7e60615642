package dev.llmaudit.ingest.client;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * {@code dead-letters.jsonl} in the spool directory: events the client will never be able to send
 * (out of the contract's bounds, too large for the broker, not encodable), one JSON line each with
 * the time, the reason and the event in its canonical JSON form (which holds no prompt or response
 * text, only hashes). Bounded: once the file reaches its size, further dead letters are dropped
 * (counted and logged by the client). The spool moves on either way: one bad event never blocks the
 * events behind it.
 */
final class DeadLetterFile {
    static final String NAME = "dead-letters.jsonl";
    private final Path file;
    private final long maxBytes;

    DeadLetterFile(Path spoolDir, long maxBytes) {
        this.file = spoolDir.resolve(NAME);
        this.maxBytes = maxBytes;
    }

    Path file() {
        return file;
    }

    /** Appends one dead letter; false when the file is full. */
    synchronized boolean write(LlmCallEvent event, String reason) throws IOException {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("failed_at", Instant.now().toString());
        line.put("reason", EventBounds.excerpt(reason, 2000));
        line.put("event_id", event == null ? null : EventBounds.excerpt(event.getEventId()));
        if (event != null) {
            try {
                line.set("event", LlmCallEventJson.toNode(event));
            } catch (RuntimeException unprintable) {
                line.put("event", "(not printable: " + unprintable + ")");
            }
        }
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        long size = Files.exists(file) ? Files.size(file) : 0;
        if (size + bytes.length > maxBytes) {
            return false;
        }
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        return true;
    }
}
