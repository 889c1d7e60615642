package dev.llmaudit.ingest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A local HTTP server standing in for Bedrock or OpenAI/Azure: answers by path, remembers requests. */
public final class FakeHttpServer implements AutoCloseable {
    /**
     * One canned answer: a body, or a stream of parts written one by one with a pause before each
     * (chunked), optionally cut off after the last part without ending the body (a broken connection).
     */
    public record Answer(int status, Map<String, String> headers, String body, List<byte[]> parts, long pauseMillis, boolean cutOff) {
        public Answer(int status, Map<String, String> headers, String body) {
            this(status, headers, body, null, 0, false);
        }

        /** A server-sent-events stream of these events ({@code data: ...} each), with a pause before each. */
        public static Answer sse(List<String> events, long pauseMillis, boolean cutOff) {
            return new Answer(200, Map.of("Content-Type", "text/event-stream"), null,
                    events.stream().map(e -> ("data: " + e + "\n\n").getBytes(StandardCharsets.UTF_8)).toList(), pauseMillis, cutOff);
        }

        /** A binary stream (e.g. AWS event-stream frames) with this content type. */
        public static Answer stream(String contentType, List<byte[]> parts, long pauseMillis, boolean cutOff) {
            return new Answer(200, Map.of("Content-Type", contentType), null, parts, pauseMillis, cutOff);
        }
    }

    public record Seen(String method, String path, String query, String body) {
        /** The body as JSON (clients differ in spacing and field order), or an empty object. */
        public com.fasterxml.jackson.databind.JsonNode json() {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            } catch (java.io.IOException | RuntimeException e) {
                return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            }
        }
    }

    private final HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    public FakeHttpServer(Function<Seen, Answer> answers) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", ex -> handle(ex, answers));
        server.start();
    }

    private void handle(HttpExchange ex, Function<Seen, Answer> answers) throws IOException {
        try {
            Seen s = new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getQuery(),
                    new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            seen.add(s);
            Answer a = answers.apply(s);
            a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            if (!a.headers().containsKey("Content-Type")) {
                ex.getResponseHeaders().add("Content-Type", "application/json");
            }
            if (a.parts() == null) {
                byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(a.status(), body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            ex.sendResponseHeaders(a.status(), 0); // chunked
            OutputStream out = ex.getResponseBody();
            for (byte[] part : a.parts()) {
                pause(a.pauseMillis());
                out.write(part);
                out.flush();
            }
            if (a.cutOff()) {
                // Thrown past the exchange unclosed: the JDK server drops the connection without the body's last chunk.
                throw new CutOff();
            }
            out.close();
        } catch (CutOff c) {
            throw c;
        } catch (IOException | RuntimeException e) {
            ex.close();
            throw e;
        }
    }

    /** Makes the JDK server drop the connection mid-body. */
    private static final class CutOff extends RuntimeException {
        CutOff() {
            super("cut off on purpose", null, false, false);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Seen> seen() {
        return seen;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
