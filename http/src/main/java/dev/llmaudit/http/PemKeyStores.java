package dev.llmaudit.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * In-memory key and trust stores from PEM files (what cert-manager and most CAs hand out), since the
 * JDK reads only PKCS12/JKS. Private keys must be PKCS#8 ({@code BEGIN PRIVATE KEY}), as for Kafka's
 * {@code ssl.keystore.type=PEM}; a PKCS#1 key is refused with the command that converts it.
 */
public final class PemKeyStores {
    private static final Pattern PRIVATE_KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    static final char[] EMPTY = new char[0];

    private PemKeyStores() {}

    /** A key store with one entry: the key and its certificate chain (leaf first). */
    public static KeyStore keyStore(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> chain = certificates(certificateChain);
        if (chain.isEmpty()) {
            throw new GeneralSecurityException(certificateChain + " holds no PEM certificate");
        }
        String pem = Files.readString(privateKey, StandardCharsets.US_ASCII);
        Matcher m = PRIVATE_KEY.matcher(pem);
        if (!m.find()) {
            String hint = pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
                    ? " (it is PKCS#1/SEC1; convert it: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem)"
                    : pem.contains("ENCRYPTED PRIVATE KEY") ? " (it is encrypted; store it unencrypted in a secret, or use PKCS12)" : "";
            throw new GeneralSecurityException(privateKey + " holds no unencrypted PKCS#8 private key (BEGIN PRIVATE KEY)" + hint);
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        PrivateKey key = privateKey(der, chain.iterator().next().getPublicKey().getAlgorithm());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, EMPTY, chain.toArray(new Certificate[0]));
        return ks;
    }

    /** A trust store of every certificate in a PEM file. */
    public static KeyStore trustStore(Path pem) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (Certificate c : certificates(pem)) {
            ks.setCertificateEntry("ca-" + i++, c);
        }
        if (i == 0) {
            throw new GeneralSecurityException(pem + " holds no PEM certificate");
        }
        return ks;
    }

    private static Collection<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(pem))) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    private static PrivateKey privateKey(byte[] pkcs8, String algorithm) throws GeneralSecurityException {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("the private key is not a PKCS#8 " + algorithm + " key matching the certificate: " + e.getMessage(), e);
        }
    }
}
