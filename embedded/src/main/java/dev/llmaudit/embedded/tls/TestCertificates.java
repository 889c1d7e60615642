package dev.llmaudit.embedded.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at test time: a throwaway CA, a server certificate for {@code localhost} /
 * {@code 127.0.0.1} and a client certificate, written as PKCS12 key and trust stores and as PEM
 * files. Nothing secret is committed to the repository; every test run makes its own.
 *
 * <p>BouncyCastle is an optional dependency of this module: tests that call this add
 * {@code org.bouncycastle:bcpkix-jdk18on} in test scope.
 */
public final class TestCertificates {
    /** Password of every store written here. */
    public static final String PASSWORD = "test-password";

    /**
     * @param serverKeyStore PKCS12: the server key and its chain
     * @param clientKeyStore PKCS12: the client key and its chain
     * @param trustStore PKCS12: the CA certificate
     * @param serverCertPem PEM: the server certificate chain (server, CA)
     * @param serverKeyPem PEM: the server's private key (PKCS#8, unencrypted)
     * @param caPem PEM: the CA certificate
     * @param clientCertPem PEM: the client certificate chain
     * @param clientKeyPem PEM: the client's private key (PKCS#8)
     */
    public record Files(Path serverKeyStore, Path clientKeyStore, Path trustStore, Path serverCertPem, Path serverKeyPem,
                        Path caPem, Path clientCertPem, Path clientKeyPem) {}

    private TestCertificates() {}

    /** Makes a CA, a server certificate (CN and SAN localhost, 127.0.0.1) and a client certificate (CN {@code client}) in {@code dir}. */
    public static Files create(Path dir) throws IOException {
        return create(dir, "client");
    }

    public static Files create(Path dir, String clientName) throws IOException {
        try {
            java.nio.file.Files.createDirectories(dir);
            KeyPair caKeys = rsa();
            X509Certificate ca = certificate("CN=llm-audit test CA", caKeys, "CN=llm-audit test CA", caKeys.getPrivate(), true, null, false);
            KeyPair serverKeys = rsa();
            X509Certificate server = certificate("CN=localhost", serverKeys, "CN=llm-audit test CA", caKeys.getPrivate(), false,
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}), false);
            KeyPair clientKeys = rsa();
            X509Certificate client = certificate("CN=" + clientName, clientKeys, "CN=llm-audit test CA", caKeys.getPrivate(), false, null, true);

            Files f = new Files(dir.resolve("server.p12"), dir.resolve("client.p12"), dir.resolve("truststore.p12"),
                    dir.resolve("server.crt.pem"), dir.resolve("server.key.pem"), dir.resolve("ca.pem"), dir.resolve("client.crt.pem"),
                    dir.resolve("client.key.pem"));
            keyStore(f.serverKeyStore(), "server", serverKeys.getPrivate(), server, ca);
            keyStore(f.clientKeyStore(), "client", clientKeys.getPrivate(), client, ca);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            try (OutputStream out = java.nio.file.Files.newOutputStream(f.trustStore())) {
                trust.store(out, PASSWORD.toCharArray());
            }
            pem(f.serverCertPem(), List.of(server, ca));
            pem(f.serverKeyPem(), List.of(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", serverKeys.getPrivate().getEncoded())));
            pem(f.caPem(), List.of(ca));
            pem(f.clientCertPem(), List.of(client, ca));
            pem(f.clientKeyPem(), List.of(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", clientKeys.getPrivate().getEncoded())));
            return f;
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IOException("cannot make test certificates: " + e, e);
        }
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static long serial = System.nanoTime();

    private static synchronized BigInteger nextSerial() {
        return BigInteger.valueOf(++serial);
    }

    private static X509Certificate certificate(String subject, KeyPair keys, String issuer, PrivateKey issuerKey, boolean isCa,
                                               GeneralNames sans, boolean clientAuth)
            throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), nextSerial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), new X500Name(subject), keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (isCa) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    clientAuth ? new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}
                            : new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        }
        if (sans != null) {
            b.addExtension(Extension.subjectAlternativeName, false, sans);
        }
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey);
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    private static void keyStore(Path file, String alias, PrivateKey key, X509Certificate cert, X509Certificate ca)
            throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, key, PASSWORD.toCharArray(), new Certificate[] {cert, ca});
        try (OutputStream out = java.nio.file.Files.newOutputStream(file)) {
            ks.store(out, PASSWORD.toCharArray());
        }
    }

    private static void pem(Path file, List<?> objects) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(text)) {
            for (Object o : objects) {
                if (o instanceof org.bouncycastle.util.io.pem.PemObject p) {
                    w.writeObject(p);
                } else {
                    w.writeObject(o);
                }
            }
        }
        java.nio.file.Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
    }
}
