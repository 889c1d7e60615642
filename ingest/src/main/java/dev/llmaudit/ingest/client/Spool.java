package dev.llmaudit.ingest.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Append-only, bounded, on-disk queue of serialized events for when Kafka is away or the memory
 * buffer is full. Records live in numbered segment files; each record is framed as
 * {@code [int length][int CRC32C][payload]}, so a torn write at the end of a segment (a crash
 * mid-append) is detected and reported, never misread, and a damaged frame in the middle is skipped
 * by resynchronising on the next frame whose length and checksum are valid: only the damaged bytes
 * are lost. An append that fails half-way (disk full) is cut back off the file. Segments are replayed
 * oldest first and deleted only after every record in them was acknowledged by Kafka. Thread-safe.
 *
 * <p>The directory is the user's own: created with mode 0700 where the file system has POSIX
 * permissions, and refused when it belongs to someone else or others may write to it (another user
 * could otherwise plant events to be replayed under this app's name).
 */
final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    static final String SUFFIX = ".spool";
    private static final int HEADER = 8;

    /** A closed segment ready for replay. */
    record Segment(Path file, long bytes) {}

    /** What a replay read from a segment: records in order, and bytes that could not be read. */
    record Contents(List<byte[]> records, long corruptBytes) {}

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final ClientConfig.Fsync fsync;
    private final long fsyncIntervalNanos;
    private final Deque<Segment> closed = new ArrayDeque<>();
    private long nextNumber;
    private FileChannel active;
    private Path activeFile;
    private long activeBytes;
    private long closedBytes;
    private long lastSync = System.nanoTime();
    private boolean dirty;

    /** Opens a new segment file for appending (a seam for tests that make the disk fail). */
    interface SegmentOpener {
        FileChannel open(Path file) throws IOException;
    }

    private final SegmentOpener opener;

    Spool(Path dir, long maxBytes, long segmentBytes, ClientConfig.Fsync fsync, Duration fsyncInterval) {
        this(dir, maxBytes, segmentBytes, fsync, fsyncInterval, f -> FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    Spool(Path dir, long maxBytes, long segmentBytes, ClientConfig.Fsync fsync, Duration fsyncInterval, SegmentOpener opener) {
        this.opener = opener;
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.fsync = fsync;
        this.fsyncIntervalNanos = fsyncInterval.toNanos();
        try {
            SpoolDirectory.prepare(dir);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
                    long size = Files.size(f);
                    if (size == 0) {
                        Files.delete(f);
                        continue;
                    }
                    closed.add(new Segment(f, size));
                    closedBytes += size;
                    nextNumber = Math.max(nextNumber, number(f) + 1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open spool directory " + dir + ": " + e.getMessage(), e);
        }
        if (!closed.isEmpty()) {
            LOG.info("Spool {} holds {} bytes in {} segments from an earlier run; they will be replayed", dir, closedBytes, closed.size());
        }
    }

    private static long number(Path f) {
        String n = f.getFileName().toString();
        try {
            return Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Appends one record; false when the spool is full (the caller applies its policy). */
    synchronized boolean append(byte[] payload) throws IOException {
        long size = HEADER + payload.length;
        if (closedBytes + activeBytes + size > maxBytes) {
            return false;
        }
        if (active == null || activeBytes + size > segmentBytes) {
            rollActive();
            activeFile = dir.resolve(String.format("%020d%s", nextNumber++, SUFFIX));
            active = opener.open(activeFile);
            activeBytes = 0;
        }
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        buf.putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
        try {
            while (buf.hasRemaining()) {
                active.write(buf);
            }
        } catch (IOException e) {
            // Disk full or I/O error half-way through the frame: cut the partial frame off, so the
            // segment ends on a whole record and later appends are not written behind garbage.
            try {
                active.truncate(activeBytes);
                active.position(activeBytes);
            } catch (IOException cannotTruncate) {
                // Close the segment as it is; the torn tail is detected (and counted) when it is replayed.
                rollActive();
            }
            throw e;
        }
        activeBytes += size;
        dirty = true;
        if (fsync == ClientConfig.Fsync.ALWAYS) {
            sync();
        } else {
            maybeSync();
        }
        return true;
    }

    /** Waits up to the timeout for room, then appends; false if there was none. */
    synchronized boolean append(byte[] payload, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!append(payload)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** fsync if the interval policy says it is time. */
    synchronized void maybeSync() throws IOException {
        if (dirty && fsync == ClientConfig.Fsync.INTERVAL && System.nanoTime() - lastSync >= fsyncIntervalNanos) {
            sync();
        }
    }

    private void sync() throws IOException {
        if (active != null && dirty) {
            active.force(false);
        }
        dirty = false;
        lastSync = System.nanoTime();
    }

    private void rollActive() throws IOException {
        if (active == null) {
            return;
        }
        if (fsync != ClientConfig.Fsync.NEVER) {
            active.force(false);
        }
        active.close();
        active = null;
        dirty = false;
        if (activeBytes > 0) {
            closed.add(new Segment(activeFile, activeBytes));
            closedBytes += activeBytes;
        } else {
            Files.deleteIfExists(activeFile);
        }
        activeBytes = 0;
    }

    /** The oldest segment, closing the active one first if it is all there is. Null when empty. */
    synchronized Segment oldest() throws IOException {
        if (closed.isEmpty() && activeBytes > 0) {
            rollActive();
        }
        return closed.peekFirst();
    }

    synchronized boolean isEmpty() {
        return closed.isEmpty() && activeBytes == 0;
    }

    synchronized long bytes() {
        return closedBytes + activeBytes;
    }

    /**
     * Reads every intact record of a segment. Damaged frames (a torn tail, a flipped bit, garbage in
     * the middle) are skipped by scanning forward to the next position where a frame with a plausible
     * length and a matching CRC32C starts; the skipped bytes are reported, never misread.
     */
    static Contents read(Segment segment) throws IOException {
        byte[] all = Files.readAllBytes(segment.file());
        List<byte[]> out = new ArrayList<>();
        long corrupt = 0;
        int pos = 0;
        while (pos < all.length) {
            int length = frameAt(all, pos);
            if (length >= 0) {
                out.add(java.util.Arrays.copyOfRange(all, pos + HEADER, pos + HEADER + length));
                pos += HEADER + length;
                continue;
            }
            // Resynchronise: the next position where a valid frame starts, or the end.
            int next = pos + 1;
            while (next < all.length && frameAt(all, next) < 0) {
                next++;
            }
            corrupt += next - pos;
            pos = next;
        }
        return new Contents(out, corrupt);
    }

    /** The payload length of a valid frame starting at {@code pos}, or -1. */
    private static int frameAt(byte[] b, int pos) {
        if (b.length - pos < HEADER) {
            return -1;
        }
        int length = ((b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
        // Never empty: the client writes no empty records, and eight zero bytes would otherwise pass as one (CRC32C of nothing is 0).
        if (length <= 0 || length > b.length - pos - HEADER) {
            return -1;
        }
        int crc = ((b[pos + 4] & 0xff) << 24) | ((b[pos + 5] & 0xff) << 16) | ((b[pos + 6] & 0xff) << 8) | (b[pos + 7] & 0xff);
        CRC32C check = new CRC32C();
        check.update(b, pos + HEADER, length);
        return (int) check.getValue() == crc ? length : -1;
    }

    /** Deletes a fully replayed segment and wakes writers waiting for room. */
    synchronized void delete(Segment segment) throws IOException {
        if (closed.remove(segment)) {
            closedBytes -= segment.bytes();
        }
        Files.deleteIfExists(segment.file());
        notifyAll();
    }

    @Override
    public synchronized void close() throws IOException {
        if (active != null) {
            if (fsync != ClientConfig.Fsync.NEVER) {
                active.force(false);
            }
            active.close();
            active = null;
            if (activeBytes == 0) {
                Files.deleteIfExists(activeFile);
            }
        }
    }
}
