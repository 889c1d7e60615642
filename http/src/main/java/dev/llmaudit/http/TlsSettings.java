package dev.llmaudit.http;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS for one listener: the server's key and certificate chain from a PKCS12 key store or from PEM
 * files, and optionally the certificates of clients it trusts.
 *
 * @param keyStore PKCS12 file holding the key and chain, or (type PEM) the PEM certificate chain
 * @param keyStoreType {@code PKCS12} or {@code PEM}
 * @param keyStorePassword PKCS12 password (null for PEM)
 * @param privateKey PEM only: the private key, PKCS#8 ({@code BEGIN PRIVATE KEY}); Kafka's PEM key stores take the same form
 * @param trustStore the CAs whose client certificates are accepted (PKCS12 or PEM); null = no client certificates
 * @param trustStorePassword PKCS12 password (null for PEM)
 * @param clientAuth whether clients must present a certificate signed by the trust store's CAs
 */
public record TlsSettings(Path keyStore, String keyStoreType, String keyStorePassword, Path privateKey, Path trustStore,
                          String trustStorePassword, ClientAuth clientAuth) {
    /** none: no client certificate asked; want: asked, optional; need: required (mutual TLS). */
    public enum ClientAuth {
        NONE, WANT, NEED;

        public static ClientAuth parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tls client auth must be none, want or need, got \"" + s + "\"");
            }
        }
    }

    public TlsSettings {
        Objects.requireNonNull(keyStore, "keyStore");
        keyStoreType = keyStoreType == null ? typeOf(keyStore) : keyStoreType.toUpperCase(Locale.ROOT);
        if (!keyStoreType.equals("PKCS12") && !keyStoreType.equals("PEM")) {
            throw new IllegalArgumentException("tls key store type must be PKCS12 or PEM, got \"" + keyStoreType + "\"");
        }
        if (keyStoreType.equals("PEM") && privateKey == null) {
            throw new IllegalArgumentException("a PEM certificate chain (" + keyStore + ") needs its private key file (PKCS#8 PEM)");
        }
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
        if (clientAuth != ClientAuth.NONE && trustStore == null) {
            throw new IllegalArgumentException("client certificates (" + clientAuth.name().toLowerCase(Locale.ROOT)
                    + ") need a trust store of the CAs that sign them");
        }
    }

    /** PKCS12 for .p12/.pfx files, PEM otherwise (.pem, .crt). */
    static String typeOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".p12") || name.endsWith(".pfx") || name.endsWith(".pkcs12") ? "PKCS12" : "PEM";
    }
}
