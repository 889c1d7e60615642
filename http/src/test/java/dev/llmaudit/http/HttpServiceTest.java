package dev.llmaudit.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.embedded.tls.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared HTTP server against hostile clients, over real sockets. */
class HttpServiceTest {
    private static final long MAX_BODY = 64 * 1024;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpService http;

    @AfterEach
    void stop() {
        if (http != null) {
            http.close();
        }
    }

    /** An API listener with POST /echo (returns the decoded body's length) and an admin listener with /healthz. */
    private HttpService start(ListenerSettings api) {
        Routes apiRoutes = Routes.builder()
                .post("/echo", ex -> ex.readBody(MAX_BODY, body -> ex.json(200, "{\"bytes\":" + body.length + "}")))
                .get("/boom", ex -> {
                    throw new IllegalStateException("x".repeat(10_000));
                })
                .get("/whoami", ex -> ex.json(200, "{\"cn\":" + Exchange.quote(ex.clientCertificates()
                        .map(c -> c[0].getSubjectX500Principal().getName()).orElse("none")) + "}"))
                .notFound("use POST /echo")
                .build();
        Routes admin = Routes.builder().get("/healthz", ex -> ex.json(200, "{\"status\":\"ok\"}")).build();
        http = HttpService.start(new HttpService.Listener(api, apiRoutes),
                new HttpService.Listener(ListenerSettings.admin("127.0.0.1", 0), admin));
        return http;
    }

    private ListenerSettings api() {
        return ListenerSettings.api("api", "127.0.0.1", 0);
    }

    private HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port("api") + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String listener, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port(listener) + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void connectionsThatSendOneByteNeitherStarveTheServerNorStayOpen() throws Exception {
        start(api().withLimits(Duration.ofSeconds(30), Duration.ofSeconds(2), 1000, 8192, 1024));
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket("127.0.0.1", http.port("api"));
                s.getOutputStream().write('P');
                s.getOutputStream().flush();
                slow.add(s);
            }
            long start = System.nanoTime();
            assertThat(get("admin", "/healthz").statusCode()).isEqualTo(200);
            assertThat(post("/echo", "hello".getBytes(StandardCharsets.UTF_8)).body()).isEqualTo("{\"bytes\":5}");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answers while 300 slow clients hold connections")
                    .isLessThan(Duration.ofSeconds(5));

            // After the head timeout every slow connection is closed by the server: reads see end of stream.
            for (Socket s : slow) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(http.stats().slowHeadClosed()).isEqualTo(300);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void aFullPublicListenerDoesNotBlockTheAdminListener() throws Exception {
        start(api().withLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), 3, 8192, 1024));
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket("127.0.0.1", http.port("api"));
                s.getOutputStream().write('P');
                held.add(s);
            }
            Thread.sleep(200);
            CompletableFuture<HttpResponse<String>> waiting = client.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + http.port("api") + "/echo")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(500);
            assertThat(waiting).as("the 4th connection waits for a slot").isNotDone();
            assertThat(get("admin", "/healthz").statusCode()).isEqualTo(200);
            held.remove(0).close();
            assertThat(waiting.get(10, TimeUnit.SECONDS).body()).isEqualTo("{\"bytes\":1}");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void oversizedHeadersGet431() throws Exception {
        start(api());
        HttpResponse<String> r = post("/echo", new byte[1], "X-Api-Key", "k".repeat(20_000));
        assertThat(r.statusCode()).isEqualTo(431);
        assertThat(r.body().length()).isLessThan(1000);
    }

    @Test
    void bodiesOverTheLimitGet413BeforeTheyAreRead() throws Exception {
        start(api());
        assertThat(post("/echo", new byte[(int) MAX_BODY]).body()).isEqualTo("{\"bytes\":65536}");
        HttpResponse<String> declared = post("/echo", new byte[(int) MAX_BODY + 1]);
        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(declared.body()).isEqualTo("{\"error\":\"body of 65537 bytes is over the limit of 65536 bytes; send smaller batches\"}");

        // Chunked (no Content-Length): cut off while reading. A raw socket, because the JDK client stops
        // at the broken pipe of its unfinished upload and never reads the early answer, as curl does.
        try (Socket s = new Socket("127.0.0.1", http.port("api"))) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 5; i++) {
                out.write(("4000\r\n" + "a".repeat(0x4000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 413 ")
                    .endsWith("{\"error\":\"body is over the limit of 65536 bytes; send smaller batches\"}");
        }
    }

    @Test
    void gzipBodiesAreDecodedWithTheSameLimitOnTheirDecodedSize() throws Exception {
        start(api());
        assertThat(post("/echo", gzip(new byte[1000]), "Content-Encoding", "gzip").body()).isEqualTo("{\"bytes\":1000}");

        byte[] bomb = gzip(new byte[50 * 1024 * 1024]);
        assertThat(bomb.length).as("50 MB of zeros compress to a small body").isLessThan((int) MAX_BODY);
        HttpResponse<String> r = post("/echo", bomb, "Content-Encoding", "gzip");
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).isEqualTo("{\"error\":\"body is over the limit of 65536 bytes once decompressed (gzip); send smaller batches\"}");
        assertThat(http.stats().decompressionBombs()).isEqualTo(1);

        assertThat(post("/echo", "not gzip".getBytes(StandardCharsets.UTF_8), "Content-Encoding", "gzip").statusCode()).isEqualTo(400);
        HttpResponse<String> br = post("/echo", new byte[10], "Content-Encoding", "br");
        assertThat(br.statusCode()).isEqualTo(415);
        assertThat(br.body()).isEqualTo("{\"error\":\"unsupported Content-Encoding \\\"br\\\": send gzip or no encoding\"}");
    }

    @Test
    void endpointFailuresAreA500WithABoundedBody() throws Exception {
        start(api());
        HttpResponse<String> r = get("api", "/boom");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("{\"error\":\"internal error: IllegalStateException\"}");
        assertThat(get("api", "/nope").body()).isEqualTo("{\"error\":\"use POST /echo\"}");
        HttpResponse<String> wrongMethod = get("api", "/echo");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
        assertThat(get("api", "/healthz").statusCode()).as("admin paths are not on the public listener").isEqualTo(404);
    }

    @Test
    void tlsFromPkcs12OrPemWithRequiredClientCertificates(@TempDir Path dir) throws Exception {
        TestCertificates.Files certs = TestCertificates.create(dir, "gateway-client");
        for (TlsSettings tls : List.of(
                new TlsSettings(certs.serverKeyStore(), null, TestCertificates.PASSWORD, null, certs.trustStore(),
                        TestCertificates.PASSWORD, TlsSettings.ClientAuth.NEED),
                new TlsSettings(certs.serverCertPem(), null, null, certs.serverKeyPem(), certs.caPem(), null, TlsSettings.ClientAuth.NEED))) {
            start(api().withTls(tls));
            URI whoami = URI.create("https://localhost:" + http.port("api") + "/whoami");
            HttpClient withCert = HttpClient.newBuilder().sslContext(ssl(certs, true)).build();
            assertThat(withCert.send(HttpRequest.newBuilder(whoami).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .isEqualTo("{\"cn\":\"CN=gateway-client\"}");
            HttpClient withoutCert = HttpClient.newBuilder().sslContext(ssl(certs, false)).build();
            try {
                withoutCert.send(HttpRequest.newBuilder(whoami).build(), HttpResponse.BodyHandlers.ofString());
                org.assertj.core.api.Assertions.fail("a client without a certificate was let in");
            } catch (java.io.IOException refused) {
                // expected: the handshake fails
            }
            http.close();
            http = null;
        }
    }

    @Test
    void pkcs1KeysAreRefusedWithTheCommandThatConvertsThem(@TempDir Path dir) throws Exception {
        TestCertificates.Files certs = TestCertificates.create(dir);
        Path rsaKey = dir.resolve("rsa.key");
        Files.writeString(rsaKey, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        var e = org.assertj.core.api.Assertions.catchThrowable(() -> HttpService.start(new HttpService.Listener(
                api().withTls(new TlsSettings(certs.serverCertPem(), "PEM", null, rsaKey, null, null, null)), Routes.builder().build())));
        assertThat(e).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem");
    }

    private static SSLContext ssl(TestCertificates.Files certs, boolean withClientCert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.trustStore())) {
            trust.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = null;
        if (withClientCert) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(certs.clientKeyStore())) {
                ks.load(in, TestCertificates.PASSWORD.toCharArray());
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, TestCertificates.PASSWORD.toCharArray());
        }
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
