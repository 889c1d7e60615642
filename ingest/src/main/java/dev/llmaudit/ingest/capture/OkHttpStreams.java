package dev.llmaudit.ingest.capture;

import java.io.IOException;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;

/** Taps an OkHttp response body for an {@link SseCapture}: the app reads the same bytes, nothing is copied or held back. */
public final class OkHttpStreams {
    private OkHttpStreams() {}

    public static ResponseBody tap(ResponseBody body, SseCapture capture) {
        ForwardingSource source = new ForwardingSource(body.source()) {
            @Override
            public long read(Buffer sink, long byteCount) throws IOException {
                long n;
                try {
                    n = super.read(sink, byteCount);
                } catch (IOException | RuntimeException e) {
                    capture.failed(e);
                    throw e;
                }
                if (n < 0) {
                    capture.end();
                    return n;
                }
                try (Buffer.UnsafeCursor cursor = sink.readUnsafe()) {
                    // Walk the segments holding the bytes just appended.
                    long offset = sink.size() - n;
                    for (int got = cursor.seek(offset); got != -1 && offset < sink.size(); got = cursor.next()) {
                        int length = cursor.end - cursor.start;
                        capture.bytes(cursor.data, cursor.start, length);
                        offset += length;
                    }
                } catch (RuntimeException e) {
                    // never into the app's stream
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                capture.closed();
                super.close();
            }
        };
        return ResponseBody.create(Okio.buffer(source), body.contentType(), body.contentLength());
    }
}
