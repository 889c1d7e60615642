package dev.llmaudit.policy.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A whole bundle directory as one JSON document, so it can travel as one record on the compacted
 * {@code llm.policies} topic: {@code {"format": 1, "files": {"bundle.yaml": "...", "policies/x.yaml": "..."}}}.
 * Loading writes the files to a temporary directory and runs the same validation as a directory.
 */
public final class BundleArchive {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BundleArchive() {}

    /** Packs every bundle file (bundle.yaml, catalog/, policies/, tests/). */
    public static String pack(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("format", 1);
        ObjectNode files = root.putObject("files");
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (rel.equals("bundle.yaml") || rel.startsWith("catalog/") || rel.startsWith("policies/") || rel.startsWith("tests/")) {
                    files.put(rel, Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return JSON.writeValueAsString(root);
    }

    /** Unpacks and validates; problems name the file inside the archive. */
    public static BundleLoader.Result load(String archive) {
        Path tmp = null;
        try {
            JsonNode root = JSON.readTree(archive);
            if (root == null || root.path("format").asInt() != 1 || !root.path("files").isObject()) {
                Problems p = new Problems();
                p.add(Path.of("(archive)"), 0, 0, "not a policy bundle archive (expected {\"format\": 1, \"files\": {...}})");
                return new BundleLoader.Result(null, p.all());
            }
            tmp = Files.createTempDirectory("llm-audit-bundle-");
            for (Iterator<Map.Entry<String, JsonNode>> it = root.get("files").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                Path target = tmp.resolve(f.getKey()).normalize();
                if (!target.startsWith(tmp)) {
                    throw new IOException("archive entry outside the bundle: " + f.getKey());
                }
                Files.createDirectories(target.getParent());
                Files.writeString(target, f.getValue().asText(), StandardCharsets.UTF_8);
            }
            return BundleLoader.load(tmp);
        } catch (IOException | RuntimeException e) {
            // RuntimeException too: an entry name with a NUL byte is an InvalidPathException, and any
            // failure here must be a refused bundle, not a dead thread.
            Problems p = new Problems();
            p.add(Path.of("(archive)"), 0, 0, "cannot read the bundle archive: " + e.getClass().getSimpleName() + ": "
                    + String.valueOf(e.getMessage()).substring(0, Math.min(300, String.valueOf(e.getMessage()).length())));
            return new BundleLoader.Result(null, p.all());
        } finally {
            if (tmp != null) {
                delete(tmp);
            }
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
