package dev.llmaudit.policy.model;

/**
 * The kinds of policy a bundle can hold, plus {@link #POLICY_ERROR}: the kind of the finding made
 * when a policy could not be evaluated for a call (a CEL condition that failed at run time). It is
 * reported, never declared.
 */
public enum PolicyKind {
    RESIDENCY, MODEL, BUDGET, CALL_CAP, PRICE_CHECK, CUSTOM, POLICY_ERROR;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A kind a bundle may declare, by its id; null for anything else (including policy_error). */
    public static PolicyKind parse(String s) {
        for (PolicyKind k : values()) {
            if (k != POLICY_ERROR && k.id().equals(s)) {
                return k;
            }
        }
        return null;
    }

    /** The kinds a bundle may declare. */
    public static java.util.List<PolicyKind> declarable() {
        return java.util.Arrays.stream(values()).filter(k -> k != POLICY_ERROR).toList();
    }
}
