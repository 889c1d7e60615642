package dev.llmaudit.jobs;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.schemas.EventBounds;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;

/**
 * The one builder of {@link DeadLetter} records and their {@code llm-audit.dlq.*} headers, for every
 * job and every failure path (invalid input, a processor that failed on a record, a record that could
 * not be written), so no two producers of dead letters drift apart.
 */
public final class DeadLetters {
    public static final String HEADER_STAGE = "llm-audit.dlq.stage";
    public static final String HEADER_ERROR = "llm-audit.dlq.error";
    public static final String HEADER_SOURCE = "llm-audit.dlq.source";
    /** Error messages are cut to this length: a reason, not a copy of the input. */
    public static final int MAX_MESSAGE = 2000;

    private DeadLetters() {}

    /**
     * @param stage where it failed: {@code validate}, {@code deserialize}, or the processor node that failed
     * @param errorClass an exception's simple class name, or a reason code such as {@code OutOfBounds}
     */
    public static DeadLetter of(String stage, String errorClass, String message, String topic, Integer partition, Long offset, byte[] key,
                                byte[] value, Instant failedAt) {
        return DeadLetter.newBuilder().setStage(stage).setErrorClass(errorClass)
                .setErrorMessage(EventBounds.excerpt(message == null || message.isBlank() ? errorClass : message, MAX_MESSAGE))
                .setSourceTopic(topic).setSourcePartition(partition).setSourceOffset(offset)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setFailedAt(failedAt).build();
    }

    /** A failure as class and reason: the exception and its root cause, bounded. */
    public static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = String.valueOf(t.getMessage());
        if (root != t) {
            m = m + " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return EventBounds.excerpt(m, MAX_MESSAGE);
    }

    /** The same facts as headers, for tools that read headers only. */
    public static void addHeaders(Headers headers, DeadLetter d) {
        headers.add(HEADER_STAGE, d.getStage().getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_ERROR, d.getErrorClass().getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_SOURCE, (d.getSourceTopic() + "-" + d.getSourcePartition() + "@" + d.getSourceOffset()).getBytes(StandardCharsets.UTF_8));
    }
}
