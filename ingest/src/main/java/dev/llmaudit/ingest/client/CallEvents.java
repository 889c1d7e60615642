package dev.llmaudit.ingest.client;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.LlmCallEvent;
import java.time.Instant;
import java.util.UUID;

/** Shared by the capture adapters: a new event with id, time, status and the thread's {@link LlmAuditContext}. */
public final class CallEvents {
    static {
        // Building records resolves generated enum classes by name; Avro 1.12 must trust them first.
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses();
    }

    private CallEvents() {}

    public static LlmCallEvent.Builder start(Instant completedAt) {
        LlmCallEvent.Builder b = LlmCallEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setEventTime(completedAt)
                .setStatus(CallStatus.ok);
        LlmAuditContext ctx = LlmAuditContext.current();
        if (ctx != null) {
            b.setDataClassification(ctx.dataClassification()).setDataResidency(ctx.dataResidency()).setUserHash(ctx.userHash())
                    .setTags(ctx.tags());
        }
        return b;
    }
}
