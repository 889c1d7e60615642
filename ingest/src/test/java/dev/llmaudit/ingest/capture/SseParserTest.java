package dev.llmaudit.ingest.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SSE parser as bytes really arrive: split anywhere, CRLF or LF or CR, comments, multi-line data, oversized events. */
class SseParserTest {
    record Event(String name, String data) {}

    static List<Event> parse(byte[] stream, int[] cuts, int max) {
        List<Event> out = new ArrayList<>();
        SseParser p = new SseParser((n, d) -> out.add(new Event(n, d)), max);
        int from = 0;
        for (int cut : cuts) {
            p.feed(stream, from, cut - from);
            from = cut;
        }
        p.feed(stream, from, stream.length - from);
        return out;
    }

    static final String STREAM = ": keep-alive comment\r\n"
            + "event: response.created\r\n"
            + "data: {\"a\":1}\r\n\r\n"
            + "data: first line\n"
            + "data:second line\n\n"
            + "id: 7\rdata: cr only\r\r"
            + "data: [DONE]\n\n";

    static final List<Event> EXPECTED = List.of(new Event("response.created", "{\"a\":1}"), new Event(null, "first line\nsecond line"),
            new Event(null, "cr only"), new Event(null, "[DONE]"));

    @Test
    void theSameEventsWhereverTheBytesAreSplit() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        assertThat(parse(bytes, new int[0], 1024)).isEqualTo(EXPECTED);
        for (int i = 1; i < bytes.length; i++) {
            assertThat(parse(bytes, new int[] {i}, 1024)).as("split at %d", i).isEqualTo(EXPECTED);
        }
        int[] everyByte = new int[bytes.length - 1];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        assertThat(parse(bytes, everyByte, 1024)).as("one byte at a time").isEqualTo(EXPECTED);
    }

    @Test
    void multiByteCharactersSplitAcrossReadsStayWhole() {
        byte[] bytes = "data: Grüße, 東京 🚀\n\n".getBytes(StandardCharsets.UTF_8);
        for (int i = 1; i < bytes.length; i++) {
            assertThat(parse(bytes, new int[] {i}, 1024)).containsExactly(new Event(null, "Grüße, 東京 🚀"));
        }
    }

    @Test
    void anOversizedEventIsSkippedAndCountedAndTheNextOneIsRead() {
        String big = "data: " + "x".repeat(5000) + "\n\n";
        String tooManyLines = "data: 12345678901234567890\n".repeat(300) + "\n";
        byte[] bytes = (big + tooManyLines + "data: small\n\n").getBytes(StandardCharsets.UTF_8);
        List<Event> out = new ArrayList<>();
        SseParser p = new SseParser((n, d) -> out.add(new Event(n, d)), 4096);
        p.feed(bytes, 0, bytes.length);
        assertThat(out).containsExactly(new Event(null, "small"));
        assertThat(p.oversized()).isEqualTo(2);
    }

    @Test
    void aStreamWithoutTheFinalBlankLineDispatchesNothingHalfDone() {
        byte[] bytes = "data: complete\n\ndata: cut off".getBytes(StandardCharsets.UTF_8);
        assertThat(parse(bytes, new int[0], 1024)).containsExactly(new Event(null, "complete"));
    }
}
