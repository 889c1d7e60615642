package dev.llmaudit.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.ingest.capture.OkHttpStreams;
import dev.llmaudit.ingest.capture.SseCapture;
import dev.llmaudit.ingest.capture.StreamedCall;
import java.io.IOException;
import okhttp3.ResponseBody;

/**
 * Reads an OpenAI or Azure OpenAI server-sent-events stream as it passes through to the app, and
 * records the call once when the stream ends, breaks or is closed.
 *
 * <ul>
 *   <li>Chat completions and completions: the first chunk with text or a tool call is the first
 *       token; usage comes from the final chunk, sent only when the request asked for it
 *       ({@code stream_options.include_usage}); {@code data: [DONE]} ends the stream.
 *   <li>Responses API: {@code response.output_text.delta} (or a function-call delta) is the first
 *       token; {@code response.completed} / {@code response.incomplete} carry usage and end the
 *       stream; {@code response.failed} and {@code error} events record an error.
 * </ul>
 * The bytes are neither changed nor held back: each read is parsed after it was copied for the app.
 */
final class OpenAiStream extends SseCapture {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Operation operation;

    private OpenAiStream(StreamedCall call, Operation operation) {
        super(call);
        this.operation = operation;
    }

    static ResponseBody tap(ResponseBody body, StreamedCall call, Operation operation) {
        return OkHttpStreams.tap(body, new OpenAiStream(call, operation));
    }

    @Override
    protected void onEvent(String name, String data) {
        if (data.equals("[DONE]")) {
            ended = true;
            return;
        }
        if (needsNothingFrom(data)) {
            return;
        }
        JsonNode event;
        try {
            event = JSON.readTree(data);
        } catch (IOException e) {
            return; // not JSON: nothing to learn from it
        }
        if (operation == Operation.responses) {
            onResponsesEvent(event);
        } else {
            onChunk(event);
        }
    }

    /**
     * Most chunks of a long answer carry only text. Once the first token is timed and when no text
     * is hashed, such a chunk is skipped without parsing it (the capture's cost per chunk is then a
     * substring search): a chunk with a usage object, an error or a terminal event is always parsed.
     */
    private boolean needsNothingFrom(String data) {
        if (call.keepsText() || !call.hasFirstToken()) {
            return false;
        }
        if (operation == Operation.responses) {
            return data.contains("\"response.output_text.delta\"") || data.contains("\"response.function_call_arguments.delta\"");
        }
        return !hasObject(data, "\"usage\"") && !data.contains("\"error\"");
    }

    /** True when the key appears followed by an object (OpenAI sends {@code "usage":null} on every chunk but the last). */
    private static boolean hasObject(String data, String key) {
        for (int i = data.indexOf(key); i >= 0; i = data.indexOf(key, i + 1)) {
            int j = i + key.length();
            while (j < data.length() && (data.charAt(j) == ' ' || data.charAt(j) == ':')) {
                j++;
            }
            if (j < data.length() && data.charAt(j) == '{') {
                return true;
            }
        }
        return false;
    }

    private void onChunk(JsonNode chunk) {
        if (chunk.has("error")) {
            call.fail(errorCode(chunk.path("error")), null);
            return;
        }
        call.update(e -> {
            if (e.getResponseModel() == null && chunk.path("model").isTextual()) {
                e.setResponseModel(chunk.get("model").asText());
            }
            if (chunk.path("id").isTextual()) {
                e.setRequestId(chunk.get("id").asText());
            }
            OpenAiAuditInterceptor.usage(chunk.path("usage"), operation, e);
        });
        if (chunk.path("usage").isObject()) {
            ended = true; // the usage chunk is the last one with content; [DONE] follows
        }
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode delta = choice.path("delta");
            String text = delta.path("content").isTextual() ? delta.get("content").asText()
                    : choice.path("text").isTextual() ? choice.get("text").asText() : null;
            if ((text != null && !text.isEmpty()) || delta.path("tool_calls").isArray() || delta.path("refusal").isTextual()) {
                call.firstToken();
            }
            call.text(text);
        }
    }

    private void onResponsesEvent(JsonNode event) {
        String type = event.path("type").asText("");
        switch (type) {
            case "response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta" -> {
                call.firstToken();
                if (type.equals("response.output_text.delta")) {
                    call.text(event.path("delta").asText(null));
                }
            }
            case "response.created", "response.in_progress" -> fromResponse(event.path("response"));
            case "response.completed", "response.incomplete" -> {
                fromResponse(event.path("response"));
                ended = true;
            }
            case "response.failed" -> {
                fromResponse(event.path("response"));
                call.fail(errorCode(event.path("response").path("error")), null);
            }
            case "error" -> call.fail(errorCode(event.has("error") ? event.path("error") : event), null);
            default -> { }
        }
    }

    private void fromResponse(JsonNode response) {
        call.update(e -> {
            if (response.path("model").isTextual()) {
                e.setResponseModel(response.get("model").asText());
            }
            if (response.path("id").isTextual()) {
                e.setRequestId(response.get("id").asText());
            }
            OpenAiAuditInterceptor.usage(response.path("usage"), operation, e);
        });
    }

    private static String errorCode(JsonNode error) {
        return error.path("code").isTextual() ? error.get("code").asText() : error.path("type").asText("stream_error");
    }
}
