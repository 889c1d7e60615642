package dev.llmaudit.ingest.capture;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The text of chat messages in the shapes the providers' JSON uses (a string, or a list of parts
 * with {@code text}, or nested {@code content}), joined with newlines: every capture hashes the
 * same text the same way, so a prompt sent through two SDKs has one hash.
 */
public final class ContentText {
    private ContentText() {}

    /** Appends each text part of the content, each followed by a newline. */
    public static void append(StringBuilder b, JsonNode content) {
        if (content.isTextual()) {
            b.append(content.asText()).append('\n');
        } else if (content.isArray()) {
            content.forEach(part -> {
                if (part.isTextual()) {
                    b.append(part.asText()).append('\n');
                } else if (part.has("text")) {
                    b.append(part.get("text").asText()).append('\n');
                } else if (part.has("content")) {
                    append(b, part.get("content"));
                } else if (part.has("parts")) {
                    append(b, part.get("parts"));
                }
            });
        }
    }

    /** The parts joined by newlines (without the last one), or null when there was no text. */
    public static String joined(StringBuilder b) {
        return b.length() == 0 ? null : b.substring(0, b.length() - 1);
    }

    /** The text of every message's content ({@code messages[].content}, or Gemini's {@code contents[].parts}). */
    public static String ofMessages(JsonNode messages) {
        StringBuilder b = new StringBuilder();
        messages.forEach(m -> append(b, m.has("content") ? m.path("content") : m.path("parts")));
        return joined(b);
    }
}
