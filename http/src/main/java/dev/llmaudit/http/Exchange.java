package dev.llmaudit.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * One request and its answer, as endpoints see them. Exactly one answer is sent; later calls to
 * {@code respond} are ignored (and logged at DEBUG), so an endpoint cannot corrupt a response.
 */
public final class Exchange {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final HttpService.Failures failures;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final java.util.List<Runnable> onAnswered = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Fields query;

    Exchange(Request request, Response response, Callback callback, HttpService.Failures failures) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.failures = failures;
    }

    /** What to do with a body once it is complete (bounded and decoded). */
    @FunctionalInterface
    public interface BodyHandler {
        void accept(byte[] body) throws Exception;
    }

    public String method() {
        return request.getMethod();
    }

    public String path() {
        return Request.getPathInContext(request);
    }

    /** A request header (first value), or null. */
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /** A query parameter (first value), or null. */
    public String query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        }
        return query.getValue(name);
    }

    public String remoteAddress() {
        return Request.getRemoteAddr(request);
    }

    /** The client's certificate chain when it presented one over TLS. */
    public Optional<X509Certificate[]> clientCertificates() {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (endPoint instanceof SslConnection.SslEndPoint ssl) {
            try {
                var certs = ssl.getSslConnection().getSSLEngine().getSession().getPeerCertificates();
                X509Certificate[] out = new X509Certificate[certs.length];
                for (int i = 0; i < certs.length; i++) {
                    out[i] = (X509Certificate) certs[i];
                }
                return Optional.of(out);
            } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Sets a response header (before the answer is sent). */
    public Exchange header(String name, String value) {
        response.getHeaders().put(name, value);
        return this;
    }

    /**
     * Reads the whole body without holding a thread while the client sends it, then hands it to
     * {@code next}. At most {@code maxBytes} are read off the wire, and, for
     * {@code Content-Encoding: gzip}, at most {@code maxBytes} once decompressed; bodies over either
     * limit are answered 413 without being read further, unknown encodings 415, broken gzip 400.
     */
    public void readBody(long maxBytes, BodyHandler next) {
        long declared = request.getLength();
        if (declared > maxBytes) {
            // Drained when it is not much larger (see refuse): clients that are still uploading then see the 413.
            String answer = error("body of " + declared + " bytes is over the limit of " + maxBytes + " bytes; send smaller batches");
            if (declared - maxBytes <= DRAIN_LIMIT) {
                refuse(413, answer);
            } else {
                json(413, answer);
            }
            return;
        }
        String encoding = contentEncoding();
        if (encoding == null) {
            return;
        }
        int limit = (int) Math.min(Integer.MAX_VALUE - 16, maxBytes);
        new BodyReader(limit, bytes -> {
            byte[] body = bytes;
            if (encoding.equals("gzip")) {
                body = gunzip(bytes, limit);
                if (body == null) {
                    return;
                }
            }
            run(next, body);
        }).read();
    }

    /** Refused bodies are read and discarded up to this size, so the client sees the answer (see {@link #refuse}). */
    static final long DRAIN_LIMIT = 1024 * 1024;

    /**
     * Answers a request that is refused before its body is used (401, 415, 503). Up to 1 MiB of the
     * body is read and discarded first, without holding a thread: many clients (the JDK's among them)
     * report a connection closed under an unfinished upload as an I/O error and never show the answer.
     * Larger bodies are cut off; the answer then goes out and the connection closes.
     */
    public void refuse(int status, String json) {
        if (request.getLength() == 0) {
            json(status, json);
            return;
        }
        drain(status, json, 0);
    }

    private void drain(int status, String json, long seen) {
        long total = seen;
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                long sofar = total;
                request.demand(() -> drain(status, json, sofar));
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                answerQuietly(status, json);
                return;
            }
            total += chunk.remaining();
            boolean last = chunk.isLast();
            chunk.release();
            if (last || total > DRAIN_LIMIT) {
                answerQuietly(status, json);
                return;
            }
        }
    }

    /**
     * Jetty's read/demand loop: takes chunks as they arrive (no thread waits for a slow client),
     * stops at the first byte over the limit and answers 413.
     */
    private final class BodyReader {
        private final int limit;
        private final java.util.function.Consumer<byte[]> done;
        private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();

        BodyReader(int limit, java.util.function.Consumer<byte[]> done) {
            this.limit = limit;
            this.done = done;
        }

        void read() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this::read);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    failures.clientGone(chunk.getFailure());
                    answerQuietly(400, error("the request body could not be read: " + chunk.getFailure().getClass().getSimpleName()));
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                if (buffer.size() + (long) b.remaining() > limit) {
                    long seen = buffer.size() + (long) b.remaining() - limit;
                    boolean last = chunk.isLast();
                    chunk.release();
                    String answer = error("body is over the limit of " + limit + " bytes; send smaller batches");
                    if (last) {
                        json(413, answer);
                    } else {
                        drain(413, answer, seen);   // a little more, so a client still uploading sees the answer
                    }
                    return;
                }
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                buffer.write(copy, 0, copy.length);
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    done.accept(buffer.toByteArray());
                    return;
                }
            }
        }
    }

    private void run(BodyHandler next, byte[] body) {
        try {
            next.accept(body);
        } catch (Throwable t) {
            failures.endpointFailed(this, t);
        }
    }

    /** "identity" or "gzip"; null after answering 415 for anything else. */
    private String contentEncoding() {
        HttpField f = request.getHeaders().getField(HttpHeader.CONTENT_ENCODING);
        if (f == null || f.getValue().isBlank() || f.getValue().trim().equalsIgnoreCase("identity")) {
            return "identity";
        }
        String v = f.getValue().trim().toLowerCase(Locale.ROOT);
        if (v.equals("gzip") || v.equals("x-gzip")) {
            return "gzip";
        }
        json(415, error("unsupported Content-Encoding \"" + excerpt(f.getValue()) + "\": send gzip or no encoding"));
        return null;
    }

    /** Decompresses at most {@code limit} bytes; answers and returns null when over it or not gzip. */
    private byte[] gunzip(byte[] compressed, int limit) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed), 8192)) {
            byte[] out = in.readNBytes(limit + 1);
            if (out.length > limit) {
                failures.decompressionBomb();
                json(413, error("body is over the limit of " + limit + " bytes once decompressed (gzip); send smaller batches"));
                return null;
            }
            return out;
        } catch (ZipException | java.io.EOFException e) {
            json(400, error("Content-Encoding is gzip but the body is not valid gzip: " + excerpt(String.valueOf(e.getMessage()))));
            return null;
        } catch (IOException e) {
            json(400, error("the gzip body could not be read: " + e.getClass().getSimpleName()));
            return null;
        }
    }

    public void json(int status, String json) {
        respond(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    public void respond(int status, String contentType, String body) {
        respond(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public void respond(int status, String contentType, byte[] body) {
        if (!answered.compareAndSet(false, true)) {
            failures.answeredTwice(this, status);
            return;
        }
        failures.answered(status);
        for (Runnable hook : onAnswered) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                failures.endpointFailed(this, e);
            }
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, (long) body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /**
     * Runs when the answer is sent, whichever path sends it (the endpoint, a refused body, a failure):
     * the place to release what a request holds, such as an in-flight permit.
     */
    public void onAnswered(Runnable hook) {
        onAnswered.add(hook);
    }

    /** Whether an answer was sent. */
    public boolean answered() {
        return answered.get();
    }

    /** Answers unless already answered (e.g. after an error on a connection the client dropped). */
    void answerQuietly(int status, String json) {
        if (!answered.get()) {
            json(status, json);
        }
    }

    /** {@code {"error": "..."}} with the message escaped. */
    public static String error(String message) {
        return "{\"error\":" + quote(message) + "}";
    }

    /** A JSON string literal. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static String excerpt(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...(" + s.length() + " characters)";
    }

    @Override
    public String toString() {
        return method() + " " + path();
    }
}
