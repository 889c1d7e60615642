package dev.llmaudit.http;

/**
 * Answers one kind of request. Runs on a server thread; may block briefly (a Kafka commit) but must
 * not wait for the client: read the body with {@link Exchange#readBody}, which does not hold a thread.
 * An exception becomes a 500 with a one-line JSON body; the stack trace is logged at DEBUG.
 */
@FunctionalInterface
public interface Endpoint {
    void handle(Exchange exchange) throws Exception;
}
