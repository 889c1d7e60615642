package dev.llmaudit.schemas.wire;

/** Bytes that are not a Confluent Avro wire-format record, or that do not decode with their schema. */
public class WireFormatException extends RuntimeException {
    public WireFormatException(String message) {
        super(message);
    }

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
