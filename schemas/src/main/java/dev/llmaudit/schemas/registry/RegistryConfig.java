package dev.llmaudit.schemas.registry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach a Confluent-compatible schema registry, bound once from configuration.
 * Keys follow Confluent's client names so existing configs carry over:
 * {@code schema.registry.url} (comma-separated for failover), {@code basic.auth.user.info}
 * ({@code user:password}), {@code bearer.auth.token},
 * {@code schema.registry.ssl.truststore.location} / {@code .password} / {@code .type}.
 *
 * @param urls base URLs, tried in order until one answers
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param bearerToken a bearer token (OAuth / API token), or null
 * @param trustStore a trust store for TLS with private CAs, or null for the JVM default
 * @param trustStorePassword its password, or null
 * @param trustStoreType PKCS12 (default) or JKS
 * @param timeout request timeout
 */
public record RegistryConfig(List<URI> urls, String basicAuthUserInfo, String bearerToken, Path trustStore,
                             String trustStorePassword, String trustStoreType, Duration timeout) {
    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String TIMEOUT_MS = "schema.registry.request.timeout.ms";

    public RegistryConfig {
        urls = List.copyOf(Objects.requireNonNull(urls, "urls"));
        if (urls.isEmpty()) {
            throw new IllegalArgumentException(URL + " must name at least one registry URL, e.g. http://localhost:8081");
        }
        if (basicAuthUserInfo != null && bearerToken != null) {
            throw new IllegalArgumentException("set either " + BASIC_AUTH_USER_INFO + " or " + BEARER_AUTH_TOKEN + ", not both");
        }
        if (basicAuthUserInfo != null && !basicAuthUserInfo.contains(":")) {
            throw new IllegalArgumentException(BASIC_AUTH_USER_INFO + " must be user:password");
        }
        trustStoreType = trustStoreType == null ? "PKCS12" : trustStoreType;
        timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
    }

    /** A plain, unauthenticated registry at one URL. */
    public static RegistryConfig of(String url) {
        return fromMap(Map.of(URL, url));
    }

    /** Binds from client-style properties; unknown keys are ignored (they belong to Kafka). */
    public static RegistryConfig fromMap(Map<String, ?> config) {
        Object url = config.get(URL);
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException("missing " + URL + " (the schema registry's base URL, e.g. http://localhost:8081)");
        }
        List<URI> urls = new ArrayList<>();
        for (String u : url.toString().split(",")) {
            String trimmed = u.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            URI uri = URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException(URL + ": \"" + trimmed + "\" is not an http(s) URL");
            }
            urls.add(uri);
        }
        Object timeoutMs = config.get(TIMEOUT_MS);
        return new RegistryConfig(urls, str(config, BASIC_AUTH_USER_INFO), str(config, BEARER_AUTH_TOKEN),
                str(config, TRUSTSTORE_LOCATION) == null ? null : Path.of(str(config, TRUSTSTORE_LOCATION)),
                str(config, TRUSTSTORE_PASSWORD), str(config, TRUSTSTORE_TYPE),
                timeoutMs == null ? null : Duration.ofMillis(Long.parseLong(timeoutMs.toString())));
    }

    private static String str(Map<String, ?> config, String key) {
        Object v = config.get(key);
        return v == null || v.toString().isBlank() ? null : v.toString();
    }

    @Override
    public String toString() {
        // Never print credentials.
        return "RegistryConfig[urls=" + urls + ", auth=" + (basicAuthUserInfo != null ? "basic" : bearerToken != null ? "bearer" : "none")
                + ", trustStore=" + trustStore + "]";
    }
}
