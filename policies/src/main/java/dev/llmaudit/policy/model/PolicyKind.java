package dev.llmaudit.policy.model;

/** The kinds of policy a bundle can hold. */
public enum PolicyKind {
    RESIDENCY, MODEL, BUDGET, CALL_CAP, PRICE_CHECK, CUSTOM;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static PolicyKind parse(String s) {
        for (PolicyKind k : values()) {
            if (k.id().equals(s)) {
                return k;
            }
        }
        return null;
    }
}
