package dev.llmaudit.ingest.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the app knows about the data of the calls it is about to make (classification, residency
 * requirement, tags, user), attached to the current thread for the capture adapters to put into
 * each event:
 * <pre>
 * try (LlmAuditContext ctx = LlmAuditContext.open().dataClassification("pii").dataResidency("eu").tag("project", "claims")) {
 *     bedrock.converse(request);   // the event carries pii / eu / project=claims
 * }
 * </pre>
 * Contexts nest; closing one restores the previous.
 */
public final class LlmAuditContext implements AutoCloseable {
    private static final ThreadLocal<LlmAuditContext> CURRENT = new ThreadLocal<>();

    private final LlmAuditContext previous;
    private String dataClassification;
    private String dataResidency;
    private String userHash;
    private final Map<String, String> tags = new LinkedHashMap<>();

    private LlmAuditContext(LlmAuditContext previous) {
        this.previous = previous;
        if (previous != null) {
            dataClassification = previous.dataClassification;
            dataResidency = previous.dataResidency;
            userHash = previous.userHash;
            tags.putAll(previous.tags);
        }
    }

    /** Opens a context on this thread, inheriting the enclosing one. */
    public static LlmAuditContext open() {
        LlmAuditContext ctx = new LlmAuditContext(CURRENT.get());
        CURRENT.set(ctx);
        return ctx;
    }

    /** The context in force on this thread, or null. */
    public static LlmAuditContext current() {
        return CURRENT.get();
    }

    public LlmAuditContext dataClassification(String v) { dataClassification = v; return this; }
    public LlmAuditContext dataResidency(String v) { dataResidency = v; return this; }
    /** A keyed hash of the end user (e.g. from {@link LlmAuditClient#hash}), never the raw id. */
    public LlmAuditContext userHash(String v) { userHash = v; return this; }
    public LlmAuditContext tag(String k, String v) { tags.put(k, v); return this; }

    public String dataClassification() { return dataClassification; }
    public String dataResidency() { return dataResidency; }
    public String userHash() { return userHash; }
    public Map<String, String> tags() { return Map.copyOf(tags); }

    @Override
    public void close() {
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
