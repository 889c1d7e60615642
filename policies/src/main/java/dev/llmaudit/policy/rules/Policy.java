package dev.llmaudit.policy.rules;

/** One governance rule of a bundle. Each kind checks a call in {@link #check(CheckContext)}. */
public interface Policy {
    PolicyMeta meta();

    /** Adds this policy's findings (and budget contributions) for the context's call. Called only when the selector matches. */
    void check(CheckContext context);
}
