package dev.llmaudit.ingest.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.Set;

/**
 * Where the client's spool lives, and the checks that keep it the user's own. The default is per
 * user, never a path shared in {@code /tmp}: {@code $XDG_STATE_HOME/llm-audit/spool}, else
 * {@code ~/.local/state/llm-audit/spool} when the home directory is writable (containers often have
 * none), else {@code <tmp>/llm-audit-spool-<user>}, created with mode 0700.
 */
final class SpoolDirectory {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private SpoolDirectory() {}

    static Path defaultDir(Map<String, String> env) {
        String xdg = env.get("XDG_STATE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "llm-audit", "spool");
        }
        String home = System.getProperty("user.home");
        if (home != null && !home.isBlank() && !home.equals("?") && Files.isDirectory(Path.of(home)) && Files.isWritable(Path.of(home))) {
            return Path.of(home, ".local", "state", "llm-audit", "spool");
        }
        String user = System.getProperty("user.name", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "llm-audit-spool-" + user);
    }

    /**
     * Creates the directory (0700) or checks an existing one: it must be a real directory (not a
     * symbolic link), owned by this user, and not writable by group or others.
     *
     * @throws IOException naming the directory and what to do
     */
    static void prepare(Path dir) throws IOException {
        boolean posix = Files.getFileStore(existingAncestor(dir)).supportsFileAttributeView(PosixFileAttributeView.class);
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (dir.getParent() != null) {
                Files.createDirectories(dir.getParent());
            }
            if (posix) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else {
                Files.createDirectory(dir);
            }
            return;
        }
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a plain directory (a symbolic link or a file); point spool.dir at a directory of your own");
        }
        if (posix) {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal me = currentUser(dir);
            if (!a.owner().equals(me)) {
                throw new IOException(dir + " belongs to " + a.owner().getName() + ", not to " + me.getName()
                        + "; another user could plant events in it. Point spool.dir at a directory of your own");
            }
            Set<PosixFilePermission> p = a.permissions();
            if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IOException(dir + " is writable by other users (" + PosixFilePermissions.toString(p) + "); run chmod 700 " + dir);
            }
        }
    }

    /** Who this process is to the file system: the owner of a file it creates (works for uids without a name, as in containers). */
    private static UserPrincipal currentUser(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, ".owner-", ".probe");
        try {
            return Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static Path existingAncestor(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? Path.of("/") : p;
    }
}
