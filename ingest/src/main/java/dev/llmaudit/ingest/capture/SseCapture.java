package dev.llmaudit.ingest.capture;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A streamed call read from its server-sent events as they pass through to the app. Subclasses
 * say what each provider's events mean ({@link #onEvent}) and set {@link #ended} when the
 * protocol's last event arrived; this class decides how the stream ended:
 * <ul>
 *   <li>the bytes ran out after the last event: completed; before it: an {@code incomplete_stream}
 *       error (the connection ended early, and some SDKs take that as a normal end);
 *   <li>a read failed: an error named by the exception;
 *   <li>the app closed the stream: completed when the last event was seen (SDKs stop reading at
 *       it), otherwise {@code cancelled}.
 * </ul>
 * A problem inside the capture never reaches the app's stream.
 */
public abstract class SseCapture {
    /**
     * The largest event parsed, 2 MiB: the largest normal event, the Responses API's
     * {@code response.completed}, repeats the whole answer (128k output tokens are about 0.6 MB of
     * JSON). A larger event passes to the app unparsed.
     */
    public static final int MAX_EVENT_BYTES = 2 * 1024 * 1024;

    protected final StreamedCall call;
    private final SseParser parser;
    /** Set by subclasses when the protocol's last event arrived. */
    protected volatile boolean ended;

    protected SseCapture(StreamedCall call) {
        this.call = call;
        this.parser = new SseParser(this::onEventSafely, MAX_EVENT_BYTES);
    }

    /** One complete event: its name ({@code event:} line, or null) and data. */
    protected abstract void onEvent(String name, String data);

    private void onEventSafely(String name, String data) {
        try {
            onEvent(name, data);
        } catch (RuntimeException e) {
            // one unreadable event: the capture goes on with the next
        }
    }

    /** Bytes that just passed to the app. */
    public final void bytes(byte[] b, int offset, int length) {
        try {
            parser.feed(b, offset, length);
        } catch (RuntimeException e) {
            // never into the app's stream
        }
    }

    /** The stream's bytes ran out. */
    public final void end() {
        if (ended) {
            call.complete();
        } else {
            call.fail("incomplete_stream", null);
        }
    }

    /** A read failed: an error, unless the protocol's last event had already arrived. */
    public final void failed(Throwable t) {
        if (ended) {
            call.complete();
        } else {
            call.fail(t.getClass().getSimpleName(), null);
        }
    }

    /** The app closed the stream. */
    public final void closed() {
        if (ended) {
            call.complete();
        } else {
            call.cancel();
        }
    }

    /** The stream as the app will read it: the same bytes, seen on the way. */
    public final InputStream tap(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n;
                try {
                    n = super.read(b, off, len);
                } catch (IOException | RuntimeException e) {
                    failed(e);
                    throw e;
                }
                if (n < 0) {
                    end();
                } else {
                    bytes(b, off, n);
                }
                return n;
            }

            @Override
            public boolean markSupported() {
                return false; // a reset would show the parser the same bytes twice
            }

            @Override
            public long skip(long n) throws IOException {
                if (n <= 0) {
                    return 0;
                }
                byte[] skipped = new byte[(int) Math.min(n, 8192)];
                int read = read(skipped, 0, skipped.length);
                return Math.max(read, 0);
            }

            @Override
            public void close() throws IOException {
                closed();
                super.close();
            }
        };
    }
}
