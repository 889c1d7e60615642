package dev.llmaudit.ingest.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * API keys per tenant, stored as SHA-256 hashes only (a leaked keys file does not leak keys). File
 * format, one key per line: {@code sha256:<64 hex> <tenant>}; {@code #} starts a comment. Keys are
 * random 32-byte values, shown once when created ({@code llm-audit ingest new-key}).
 */
public final class ApiKeys {
    private final Map<String, String> tenantByHash;

    private ApiKeys(Map<String, String> tenantByHash) {
        this.tenantByHash = Map.copyOf(tenantByHash);
    }

    public static ApiKeys of(Map<String, String> tenantByHash) {
        return new ApiKeys(tenantByHash);
    }

    /** Reads a keys file; every malformed line is reported with its number. */
    public static ApiKeys load(Path file) throws IOException {
        Map<String, String> keys = new HashMap<>();
        List<String> errors = new ArrayList<>();
        int n = 0;
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !parts[0].matches("sha256:[0-9a-f]{64}") || !parts[1].matches("[A-Za-z0-9._-]{1,256}")) {
                errors.add(file + ":" + n + ": expected \"sha256:<64 lower-case hex digits> <tenant>\"");
                continue;
            }
            keys.put(parts[0].substring(7), parts[1]);
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", errors));
        }
        return new ApiKeys(keys);
    }

    /** The tenant a presented key belongs to. */
    public Optional<String> tenantOf(String presentedKey) {
        if (presentedKey == null || presentedKey.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(tenantByHash.get(sha256(presentedKey)));
    }

    public int size() {
        return tenantByHash.size();
    }

    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new random key ({@code lla_} + 43 URL-safe characters). */
    public static String newKey() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return "lla_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The keys-file line for a key. */
    public static String line(String key, String tenant) {
        return "sha256:" + sha256(key) + " " + tenant;
    }
}
