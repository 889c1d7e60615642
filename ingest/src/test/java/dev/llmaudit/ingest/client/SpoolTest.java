package dev.llmaudit.ingest.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<String> strings(Spool.Contents c) {
        return c.records().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    @Test
    void keepsOrderAcrossSegmentsAndRestarts(@TempDir Path dir) throws IOException {
        try (Spool spool = new Spool(dir, 1_000, 40, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            for (int i = 0; i < 5; i++) {
                assertThat(spool.append(bytes("event-" + i))).isTrue(); // 15 bytes each: two per 40-byte segment
            }
        }
        try (Spool reopened = new Spool(dir, 1_000, 40, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            StringBuilder all = new StringBuilder();
            Spool.Segment s;
            while ((s = reopened.oldest()) != null) {
                strings(Spool.read(s)).forEach(x -> all.append(x).append(' '));
                reopened.delete(s);
            }
            assertThat(all.toString()).isEqualTo("event-0 event-1 event-2 event-3 event-4 ");
            assertThat(reopened.isEmpty()).isTrue();
        }
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void refusesAppendsBeyondItsSize(@TempDir Path dir) throws Exception {
        try (Spool spool = new Spool(dir, 50, 50, ClientConfig.Fsync.NEVER, Duration.ZERO)) {
            assertThat(spool.append(bytes("0123456789012345678901234567890"))).isTrue(); // 39 bytes
            assertThat(spool.append(bytes("x".repeat(10)))).isFalse();
            long t0 = System.nanoTime();
            assertThat(spool.append(bytes("x".repeat(10)), Duration.ofMillis(200))).isFalse();
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(150_000_000L);
            assertThat(spool.bytes()).isEqualTo(39);
        }
    }

    @Test
    void aTornWriteIsDetectedAndTheIntactRecordsBeforeItSurvive(@TempDir Path dir) throws IOException {
        try (Spool spool = new Spool(dir, 1_000, 1_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            spool.append(bytes("first"));
            spool.append(bytes("second"));
        }
        Path segment = Files.list(dir).findFirst().orElseThrow();
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(segment) - 3); // the crash happened mid-append
        }
        try (Spool reopened = new Spool(dir, 1_000, 1_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            Spool.Contents c = Spool.read(reopened.oldest());
            assertThat(strings(c)).containsExactly("first");
            assertThat(c.corruptBytes()).isEqualTo(11);
        }
    }

    @Test
    void aFlippedBitIsCaughtByTheChecksum(@TempDir Path dir) throws IOException {
        try (Spool spool = new Spool(dir, 1_000, 1_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            spool.append(bytes("first"));
            spool.append(bytes("second"));
        }
        Path segment = Files.list(dir).findFirst().orElseThrow();
        byte[] content = Files.readAllBytes(segment);
        content[content.length - 1] ^= 1;
        Files.write(segment, content);
        try (Spool reopened = new Spool(dir, 1_000, 1_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            assertThat(strings(Spool.read(reopened.oldest()))).containsExactly("first");
        }
    }
}
