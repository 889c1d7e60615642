package dev.llmaudit.ingest.capture;

import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Splits a server-sent-events byte stream into events as the bytes go by, without holding the
 * stream: only the current line and the current event's data are kept.
 *
 * <p>Follows the WHATWG event-stream rules the providers use: lines end in LF, CRLF or CR; an
 * empty line ends an event; {@code data:} lines are joined with LF; {@code event:} names the
 * event; comments ({@code :}) and other fields are ignored. A line or an event's data longer than
 * {@code maxEventBytes} is not parsed (it is skipped to its end and {@link #oversized()} counts
 * it): the bytes still reach the app, only the capture misses that event.
 */
public final class SseParser {
    private final BiConsumer<String, String> onEvent;
    private final int maxEventBytes;
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean skippingLine;
    private boolean lastWasCr;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private boolean skippingEvent;
    private String eventName;
    private long oversized;

    /** @param onEvent called with (event name or null, data) for each complete event that has data */
    public SseParser(BiConsumer<String, String> onEvent, int maxEventBytes) {
        this.onEvent = onEvent;
        this.maxEventBytes = maxEventBytes;
    }

    /** Feeds the next bytes of the stream. */
    public void feed(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b == '\n' && lastWasCr) {
                lastWasCr = false; // the LF of a CRLF
                continue;
            }
            lastWasCr = b == '\r';
            if (b == '\n' || b == '\r') {
                endLine();
            } else if (!skippingLine) {
                if (lineLength == maxEventBytes) {
                    skippingLine = true;
                    skippingEvent = true;
                    continue;
                }
                if (lineLength == line.length) {
                    byte[] bigger = new byte[Math.min(maxEventBytes, line.length * 2)];
                    System.arraycopy(line, 0, bigger, 0, lineLength);
                    line = bigger;
                }
                line[lineLength++] = b;
            }
        }
    }

    /** Events that were too large to parse. */
    public long oversized() {
        return oversized;
    }

    private void endLine() {
        if (skippingLine) {
            skippingLine = false;
            lineLength = 0;
            return;
        }
        if (lineLength == 0) {
            dispatch();
            return;
        }
        String l = new String(line, 0, lineLength, StandardCharsets.UTF_8);
        lineLength = 0;
        if (line.length > 64 * 1024) {
            line = new byte[256]; // do not keep a large buffer for the rest of a long stream
        }
        if (skippingEvent || l.charAt(0) == ':') {
            return;
        }
        int colon = l.indexOf(':');
        String field = colon < 0 ? l : l.substring(0, colon);
        String value = colon < 0 ? "" : l.substring(colon + 1 < l.length() && l.charAt(colon + 1) == ' ' ? colon + 2 : colon + 1);
        if (field.equals("data")) {
            if (data.length() + value.length() + 1 > maxEventBytes) {
                skippingEvent = true;
                data.setLength(0);
                return;
            }
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        } else if (field.equals("event")) {
            eventName = value;
        }
    }

    private void dispatch() {
        if (skippingEvent) {
            oversized++;
        } else if (hasData) {
            onEvent.accept(eventName, data.toString());
        }
        skippingEvent = false;
        hasData = false;
        eventName = null;
        data.setLength(0);
        if (data.capacity() > 64 * 1024) {
            data.trimToSize();
        }
    }
}
