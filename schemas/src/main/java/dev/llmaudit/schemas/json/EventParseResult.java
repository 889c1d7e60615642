package dev.llmaudit.schemas.json;

import dev.llmaudit.avro.LlmCallEvent;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Outcome of reading one canonical JSON event: either the event, or every problem found in it
 * (not just the first), so a batch sender can fix them all at once.
 */
public record EventParseResult(LlmCallEvent event, List<FieldError> errors) {
    public EventParseResult {
        errors = List.copyOf(errors);
        if ((event == null) == errors.isEmpty()) {
            throw new IllegalArgumentException("exactly one of event or errors must be given");
        }
    }

    static EventParseResult ok(LlmCallEvent event) {
        return new EventParseResult(event, List.of());
    }

    static EventParseResult failed(List<FieldError> errors) {
        return new EventParseResult(null, errors);
    }

    public boolean isValid() {
        return event != null;
    }

    /** All errors on one line, separated by "; ". Empty when valid. */
    public String errorSummary() {
        return errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
    }
}
