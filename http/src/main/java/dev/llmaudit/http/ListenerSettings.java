package dev.llmaudit.http;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP listener (address, limits, TLS), bound once. The defaults are what a public-facing
 * ingest endpoint needs; {@link #admin} gives the smaller limits of a health/metrics listener.
 *
 * @param name shown in logs and errors ({@code ingest}, {@code admin})
 * @param port 0 = any free port (read it back from {@link HttpService#port})
 * @param idleTimeout a connection with no bytes moving for this long is closed
 * @param headerTimeout a new connection must have sent a whole request head within this time (slow-header clients are closed)
 * @param maxConnections open connections at most; more wait in the accept queue
 * @param maxHeaderBytes request line plus headers at most (larger: 431)
 * @param minRequestBytesPerSecond a request body arriving slower than this is failed (slow-body clients); 0 = no minimum
 * @param tls null = plain HTTP
 */
public record ListenerSettings(String name, String host, int port, Duration idleTimeout, Duration headerTimeout, int maxConnections,
                               int maxHeaderBytes, long minRequestBytesPerSecond, TlsSettings tls) {
    /** The settings keys under a prefix (e.g. {@code http.}), with their documentation. Declared once: config loaders and READMEs use this. */
    public static final Map<String, String> KEYS;

    static {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("host", "address to listen on");
        k.put("port", "port (0 = any free port)");
        k.put("idle.timeout", "ISO-8601 duration; a connection idle this long is closed (default PT30S)");
        k.put("header.timeout", "ISO-8601 duration; a new connection must send its request head within this (default PT10S)");
        k.put("max.connections", "open connections at most (default 1000; admin 64)");
        k.put("max.header.bytes", "request line and headers at most, else 431 (default 8192)");
        k.put("min.request.bytes.per.second", "slower request bodies are failed (default 1024; 0 = none)");
        k.put("tls.keystore", "PKCS12 key store, or PEM certificate chain, of this listener; set to serve HTTPS");
        k.put("tls.keystore.type", "PKCS12 or PEM (default: from the file name)");
        k.put("tls.keystore.password", "PKCS12 password");
        k.put("tls.key", "PEM only: the PKCS#8 private key file");
        k.put("tls.truststore", "CAs whose client certificates are accepted (PKCS12 or PEM)");
        k.put("tls.truststore.password", "PKCS12 password of the trust store");
        k.put("tls.client.auth", "none, want or need (default none)");
        KEYS = java.util.Collections.unmodifiableMap(k);
    }

    public ListenerSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " port must be 0-65535, got " + port);
        }
        if (maxConnections < 1 || maxHeaderBytes < 1024) {
            throw new IllegalArgumentException(name + ": max.connections must be >= 1 and max.header.bytes >= 1024");
        }
    }

    /** Defaults for a public listener (ingest). */
    public static ListenerSettings api(String name, String host, int port) {
        return new ListenerSettings(name, host, port, Duration.ofSeconds(30), Duration.ofSeconds(10), 1000, 8192, 1024, null);
    }

    /** Defaults for a health, readiness and metrics listener. */
    public static ListenerSettings admin(String host, int port) {
        return new ListenerSettings("admin", host, port, Duration.ofSeconds(30), Duration.ofSeconds(10), 64, 8192, 1024, null);
    }

    public ListenerSettings withPort(String host, int port) {
        return new ListenerSettings(name, host, port, idleTimeout, headerTimeout, maxConnections, maxHeaderBytes, minRequestBytesPerSecond, tls);
    }

    public ListenerSettings withTls(TlsSettings tls) {
        return new ListenerSettings(name, host, port, idleTimeout, headerTimeout, maxConnections, maxHeaderBytes, minRequestBytesPerSecond, tls);
    }

    public ListenerSettings withLimits(Duration idleTimeout, Duration headerTimeout, int maxConnections, int maxHeaderBytes,
                                       long minRequestBytesPerSecond) {
        return new ListenerSettings(name, host, port, idleTimeout, headerTimeout, maxConnections, maxHeaderBytes, minRequestBytesPerSecond, tls);
    }

    /**
     * Overrides these defaults with settings named as in {@link #KEYS} (without a prefix). Unknown keys
     * are not looked at: the caller's config loader rejects them.
     *
     * @throws IllegalArgumentException naming the key and what is accepted
     */
    public ListenerSettings with(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        String h = settings.getOrDefault("host", host);
        int p = integer(settings, "port", port, problems);
        Duration idle = duration(settings, "idle.timeout", idleTimeout, problems);
        Duration head = duration(settings, "header.timeout", headerTimeout, problems);
        int conns = integer(settings, "max.connections", maxConnections, problems);
        int headerBytes = integer(settings, "max.header.bytes", maxHeaderBytes, problems);
        long rate = integer(settings, "min.request.bytes.per.second", (int) minRequestBytesPerSecond, problems);
        TlsSettings t = tls;
        if (settings.containsKey("tls.keystore")) {
            try {
                String truststore = settings.get("tls.truststore");
                t = new TlsSettings(Path.of(settings.get("tls.keystore")), settings.get("tls.keystore.type"),
                        settings.get("tls.keystore.password"), settings.containsKey("tls.key") ? Path.of(settings.get("tls.key")) : null,
                        truststore == null ? null : Path.of(truststore), settings.get("tls.truststore.password"),
                        settings.containsKey("tls.client.auth") ? TlsSettings.ClientAuth.parse(settings.get("tls.client.auth")) : null);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        } else if (settings.keySet().stream().anyMatch(k -> k.startsWith("tls."))) {
            problems.add("tls.* settings need tls.keystore (the listener's key and certificate)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(name + " listener: " + String.join("; ", problems));
        }
        return new ListenerSettings(name, h, p, idle, head, conns, headerBytes, rate, t);
    }

    /**
     * These defaults overridden by the settings under {@code prefix} (e.g. {@code ingest.}) in a
     * properties map, then by environment variables under {@code envPrefix} (e.g.
     * {@code LLM_AUDIT_INGEST_HTTP_}: {@code ..._TLS_KEYSTORE} sets {@code tls.keystore}); environment wins.
     *
     * @throws IllegalArgumentException for a key under the prefix that is not one of {@link #KEYS}, naming the known ones
     */
    public ListenerSettings bind(String prefix, Map<String, String> properties, Map<String, String> env, String envPrefix) {
        Map<String, String> mine = new LinkedHashMap<>();
        properties.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                String key = k.substring(prefix.length());
                if (!KEYS.containsKey(key)) {
                    throw new IllegalArgumentException("unknown setting \"" + k + "\"; known: "
                            + KEYS.keySet().stream().map(x -> prefix + x).toList());
                }
                mine.put(key, v);
            }
        });
        if (envPrefix != null) {
            env.forEach((name, value) -> {
                if (name.startsWith(envPrefix) && name.length() > envPrefix.length()) {
                    String key = name.substring(envPrefix.length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.');
                    if (KEYS.containsKey(key)) {
                        mine.put(key, value);
                    }
                }
            });
        }
        return with(mine);
    }

    private static int integer(Map<String, String> s, String key, int fallback, List<String> problems) {
        String v = s.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            problems.add(key + " must be an integer, got \"" + v + "\"");
            return fallback;
        }
    }

    private static Duration duration(Map<String, String> s, String key, Duration fallback, List<String> problems) {
        String v = s.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Duration.parse(v.trim());
        } catch (java.time.format.DateTimeParseException e) {
            problems.add(key + " must be an ISO-8601 duration such as PT30S, got \"" + v + "\"");
            return fallback;
        }
    }
}
