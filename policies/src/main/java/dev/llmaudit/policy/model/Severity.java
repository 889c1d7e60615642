package dev.llmaudit.policy.model;

/** How bad a finding is; ordered from least to most severe. */
public enum Severity {
    INFO, LOW, MEDIUM, HIGH, CRITICAL;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
