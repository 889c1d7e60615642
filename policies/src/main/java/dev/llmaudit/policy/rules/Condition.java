package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.LlmCall;

/**
 * A compiled custom condition over a call (a CEL expression); true means the policy is broken.
 * A condition that cannot be evaluated for a call throws {@link EvaluationError}: that is never
 * a silent "no match" (see {@link CustomPolicy}).
 */
@FunctionalInterface
public interface Condition {
    boolean test(LlmCall call);

    /** The condition failed at run time for this call (e.g. it read a field the call lacks without {@code has()}). */
    final class EvaluationError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public EvaluationError(String message) {
            super(message, null, false, false);
        }
    }
}
