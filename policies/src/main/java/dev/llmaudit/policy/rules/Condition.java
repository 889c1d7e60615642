package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.LlmCall;

/** A compiled custom condition over a call (a CEL expression); true means the policy is broken. */
@FunctionalInterface
public interface Condition {
    boolean test(LlmCall call);
}
