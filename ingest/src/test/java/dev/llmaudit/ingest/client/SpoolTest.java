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
        Path segment = Files.list(dir).filter(f -> f.toString().endsWith(".spool")).findFirst().orElseThrow();
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
        Path segment = Files.list(dir).filter(f -> f.toString().endsWith(".spool")).findFirst().orElseThrow();
        byte[] content = Files.readAllBytes(segment);
        content[content.length - 1] ^= 1;
        Files.write(segment, content);
        try (Spool reopened = new Spool(dir, 1_000, 1_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            Spool.Contents c = Spool.read(reopened.oldest());
            assertThat(strings(c)).containsExactly("first");
            assertThat(c.corruptBytes()).isEqualTo(8 + 6);
        }
    }

    @Test
    void aDamagedFrameInTheMiddleIsSkippedAndTheRecordsAfterItSurvive(@TempDir Path dir) throws IOException {
        try (Spool spool = new Spool(dir, 10_000, 10_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            for (String s : List.of("one", "two", "three", "four")) {
                spool.append(bytes(s));
            }
        }
        Path segment = Files.list(dir).filter(f -> f.toString().endsWith(".spool")).findFirst().orElseThrow();
        byte[] content = Files.readAllBytes(segment);
        // Frames: one (8+3), two (8+3), three (8+5), four (8+4). Damage "two"'s payload and "three"'s length field.
        content[11 + 8] ^= 0x40;
        content[22] = 0x7f;
        Files.write(segment, content);
        try (Spool reopened = new Spool(dir, 10_000, 10_000, ClientConfig.Fsync.ALWAYS, Duration.ZERO)) {
            Spool.Contents c = Spool.read(reopened.oldest());
            assertThat(strings(c)).containsExactly("one", "four");
            assertThat(c.corruptBytes()).as("exactly the two damaged frames").isEqualTo(11 + 13);
        }
    }

    @Test
    void anAppendThatFailsHalfWayIsCutOffAndLaterAppendsReadBack(@TempDir Path dir) throws IOException {
        java.util.concurrent.atomic.AtomicBoolean diskFull = new java.util.concurrent.atomic.AtomicBoolean();
        try (Spool spool = new Spool(dir, 10_000, 10_000, ClientConfig.Fsync.NEVER, Duration.ZERO,
                f -> new FailingChannel(FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), diskFull))) {
            spool.append(bytes("before"));
            diskFull.set(true);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> spool.append(bytes("x".repeat(100))))
                    .isInstanceOf(IOException.class).hasMessage("No space left on device");
            diskFull.set(false);
            spool.append(bytes("after"));
            assertThat(spool.bytes()).isEqualTo(8 + 6 + 8 + 5);
        }
        Path segment = Files.list(dir).filter(f -> f.toString().endsWith(".spool")).findFirst().orElseThrow();
        assertThat(Files.size(segment)).as("the half-written frame was cut off the file").isEqualTo(8 + 6 + 8 + 5);
        try (Spool reopened = new Spool(dir, 10_000, 10_000, ClientConfig.Fsync.NEVER, Duration.ZERO)) {
            Spool.Contents c = Spool.read(reopened.oldest());
            assertThat(strings(c)).containsExactly("before", "after");
            assertThat(c.corruptBytes()).isZero();
        }
    }

    @Test
    void theSpoolDirectoryIsTheUsersOwn(@TempDir Path dir) throws IOException {
        Path mine = dir.resolve("spool");
        new Spool(mine, 1_000, 1_000, ClientConfig.Fsync.NEVER, Duration.ZERO).close();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(mine))).isEqualTo("rwx------");

        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Spool(shared, 1_000, 1_000, ClientConfig.Fsync.NEVER, Duration.ZERO))
                .hasMessageContaining(shared + " is writable by other users (rwxrwxrwx); run chmod 700 " + shared);

        Path link = Files.createSymbolicLink(dir.resolve("link"), mine);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Spool(link, 1_000, 1_000, ClientConfig.Fsync.NEVER, Duration.ZERO))
                .hasMessageContaining(link + " is not a plain directory");

        assertThat(SpoolDirectory.defaultDir(java.util.Map.of("XDG_STATE_HOME", "/var/lib/app-state")))
                .isEqualTo(Path.of("/var/lib/app-state/llm-audit/spool"));
        assertThat(SpoolDirectory.defaultDir(java.util.Map.of()).toString()).doesNotStartWith("/tmp/llm-audit-spool/")
                .isNotEqualTo("/tmp/llm-audit-spool");
    }

    /** A channel that writes half of a buffer and then fails, as a full disk does. */
    static final class FailingChannel extends FileChannel {
        private final FileChannel delegate;
        private final java.util.concurrent.atomic.AtomicBoolean full;

        FailingChannel(FileChannel delegate, java.util.concurrent.atomic.AtomicBoolean full) {
            this.delegate = delegate;
            this.full = full;
        }

        @Override
        public int write(java.nio.ByteBuffer src) throws IOException {
            if (full.get()) {
                java.nio.ByteBuffer half = src.duplicate();
                half.limit(src.position() + src.remaining() / 2);
                int n = delegate.write(half);
                src.position(src.position() + n);
                throw new IOException("No space left on device");
            }
            return delegate.write(src);
        }

        @Override public int read(java.nio.ByteBuffer dst) throws IOException { return delegate.read(dst); }
        @Override public long read(java.nio.ByteBuffer[] d, int o, int l) throws IOException { return delegate.read(d, o, l); }
        @Override public long write(java.nio.ByteBuffer[] s, int o, int l) throws IOException { return delegate.write(s, o, l); }
        @Override public long position() throws IOException { return delegate.position(); }
        @Override public FileChannel position(long p) throws IOException { delegate.position(p); return this; }
        @Override public long size() throws IOException { return delegate.size(); }
        @Override public FileChannel truncate(long size) throws IOException { delegate.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { delegate.force(metaData); }
        @Override public long transferTo(long p, long c, java.nio.channels.WritableByteChannel t) throws IOException { return delegate.transferTo(p, c, t); }
        @Override public long transferFrom(java.nio.channels.ReadableByteChannel s, long p, long c) throws IOException { return delegate.transferFrom(s, p, c); }
        @Override public int read(java.nio.ByteBuffer dst, long p) throws IOException { return delegate.read(dst, p); }
        @Override public int write(java.nio.ByteBuffer src, long p) throws IOException { return delegate.write(src, p); }
        @Override public java.nio.MappedByteBuffer map(MapMode m, long p, long s) throws IOException { return delegate.map(m, p, s); }
        @Override public java.nio.channels.FileLock lock(long p, long s, boolean sh) throws IOException { return delegate.lock(p, s, sh); }
        @Override public java.nio.channels.FileLock tryLock(long p, long s, boolean sh) throws IOException { return delegate.tryLock(p, s, sh); }
        @Override protected void implCloseChannel() throws IOException { delegate.close(); }
    }
}
