package dev.llmaudit.schemas.json;

/**
 * One problem with one field of an input event, phrased so a user can fix it:
 * {@code input_tokens: must be >= 0, got -3}.
 *
 * @param field dotted path of the field ({@code reported_cost.amount}, {@code tags.project}),
 *              or {@code $} for the document as a whole
 * @param message what is wrong and what would be accepted
 */
public record FieldError(String field, String message) {
    @Override
    public String toString() {
        return field + ": " + message;
    }
}
