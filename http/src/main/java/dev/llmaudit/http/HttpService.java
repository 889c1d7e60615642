package dev.llmaudit.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP server of llm-audit (Jetty 12, core {@code Handler} API): the ingest gateway and every
 * health, readiness and metrics endpoint run on it, each on its own listener. Every listener has an
 * idle timeout, a request-head timeout for new connections, a connection limit, a request-header size
 * limit and a minimum body data rate; bodies are read without holding a thread and bounded before any
 * parsing ({@link Exchange#readBody}); TLS from PKCS12 or PEM, with optional client certificates.
 *
 * <p>Jetty reads request heads on its selector threads, not on worker threads, so clients that open
 * connections and send nothing (or one byte a minute) cost a socket each, bounded by the connection
 * limit and closed after the head timeout, and never starve the workers. Health probes belong on a
 * separate admin listener with its own connection limit, so they keep answering while the public
 * listener is full.
 */
public final class HttpService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpService.class);

    private final Server server;
    private final Map<String, ServerConnector> connectors = new LinkedHashMap<>();
    private final Failures failures = new Failures();

    /** A listener and what it serves. */
    public record Listener(ListenerSettings settings, Routes routes) {}

    /** What the service has turned away or closed, for metrics. */
    public record Stats(long slowHeadClosed, long decompressionBombs, long endpointFailures, long clientsGone) {}

    private HttpService(List<Listener> listeners) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(200, 8, 60_000);
        threads.setName("http");
        threads.setDaemon(true);
        server = new Server(threads);
        server.setStopTimeout(2_000);
        Map<Connector, Routes> routesByConnector = new LinkedHashMap<>();
        for (Listener l : listeners) {
            ListenerSettings s = l.settings();
            ServerConnector c = connector(s);
            if (connectors.putIfAbsent(s.name(), c) != null) {
                throw new IllegalArgumentException("two listeners named " + s.name());
            }
            server.addConnector(c);
            routesByConnector.put(c, l.routes());
            server.addBean(new NetworkConnectionLimit(s.maxConnections(), c));
        }
        server.setHandler(new Dispatch(routesByConnector, failures));
        // No HTML error pages or stack traces to clients: Jetty's own errors (431, 400 on malformed
        // requests) answer with a short text.
        org.eclipse.jetty.server.handler.ErrorHandler errors = new org.eclipse.jetty.server.handler.ErrorHandler();
        errors.setShowStacks(false);
        errors.setShowMessageInTitle(false);
        server.setErrorHandler(errors);
        server.start();
    }

    /**
     * Starts a server with these listeners.
     *
     * @throws IllegalStateException naming the listener and address when a port cannot be bound or TLS cannot be set up
     */
    public static HttpService start(List<Listener> listeners) {
        try {
            return new HttpService(listeners);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot listen: " + e.getMessage() + " (is another process using the port?)", e);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP server: " + e, e);
        }
    }

    public static HttpService start(Listener... listeners) {
        return start(List.of(listeners));
    }

    /** The port a listener is bound to (useful with port 0). */
    public int port(String listener) {
        ServerConnector c = connectors.get(listener);
        if (c == null) {
            throw new IllegalArgumentException("no listener named " + listener + " (have " + connectors.keySet() + ")");
        }
        return c.getLocalPort();
    }

    public Stats stats() {
        return new Stats(failures.slowHeads.get(), failures.bombs.get(), failures.endpointFailures.get(), failures.clientsGone.get());
    }

    /** Count of answers by status code, since start. */
    public Map<Integer, Long> answersByStatus() {
        Map<Integer, Long> out = new java.util.TreeMap<>();
        failures.statuses.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    private ServerConnector connector(ListenerSettings s) throws IOException, GeneralSecurityException {
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(s.maxHeaderBytes());
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setMinRequestDataRate(s.minRequestBytesPerSecond());
        http.setIdleTimeout(s.idleTimeout().toMillis());
        ServerConnector c;
        if (s.tls() == null) {
            c = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        } else {
            http.addCustomizer(new SecureRequestCustomizer(false));
            c = new ServerConnector(server, 1, 1, new org.eclipse.jetty.server.SslConnectionFactory(sslContext(s.tls()), "http/1.1"),
                    new HttpConnectionFactory(http));
        }
        c.setName(s.name());
        c.setHost(s.host());
        c.setPort(s.port());
        c.setIdleTimeout(s.idleTimeout().toMillis());
        c.setAcceptQueueSize(128);
        long headMillis = s.headerTimeout().toMillis();
        if (headMillis > 0) {
            c.addEventListener(new HeadTimeout(server, headMillis, failures));
        }
        return c;
    }

    static SslContextFactory.Server sslContext(TlsSettings tls) throws IOException, GeneralSecurityException {
        SslContextFactory.Server f = new SslContextFactory.Server();
        if (tls.keyStoreType().equals("PEM")) {
            f.setKeyStore(PemKeyStores.keyStore(tls.keyStore(), tls.privateKey()));
            f.setKeyStorePassword("");
            f.setKeyManagerPassword("");
        } else {
            f.setKeyStore(load(tls.keyStore(), tls.keyStorePassword()));
            f.setKeyStorePassword(tls.keyStorePassword() == null ? "" : tls.keyStorePassword());
        }
        if (tls.trustStore() != null) {
            boolean pem = TlsSettings.typeOf(tls.trustStore()).equals("PEM");
            f.setTrustStore(pem ? PemKeyStores.trustStore(tls.trustStore()) : load(tls.trustStore(), tls.trustStorePassword()));
        }
        f.setNeedClientAuth(tls.clientAuth() == TlsSettings.ClientAuth.NEED);
        f.setWantClientAuth(tls.clientAuth() == TlsSettings.ClientAuth.WANT);
        // Host names are not checked against SNI: clients reach the service under many names (service, ingress, IP).
        f.setSniRequired(false);
        return f;
    }

    private static KeyStore load(java.nio.file.Path file, String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password == null ? null : password.toCharArray());
        } catch (IOException e) {
            throw new IOException("cannot read PKCS12 store " + file + ": " + e.getMessage()
                    + " (wrong password, or not PKCS12? PEM files need tls.keystore.type=PEM)", e);
        }
        return ks;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("HTTP server stop", e);
        }
    }

    /** Closes connections that have not sent a whole request head within the timeout of being opened. */
    private static final class HeadTimeout implements Connection.Listener {
        private final Server server;
        private final long millis;
        private final Failures failures;

        HeadTimeout(Server server, long millis, Failures failures) {
            this.server = server;
            this.millis = millis;
            this.failures = failures;
        }

        @Override
        public void onOpened(Connection connection) {
            Scheduler scheduler = server.getScheduler();
            scheduler.schedule(() -> {
                if (connection.getMessagesIn() == 0 && connection.getEndPoint().isOpen()) {
                    failures.slowHeads.incrementAndGet();
                    connection.getEndPoint().close();
                }
            }, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** Routes each request by the listener it came in on. */
    private static final class Dispatch extends Handler.Abstract {
        private final Map<Connector, Routes> routes;
        private final Failures failures;

        Dispatch(Map<Connector, Routes> routes, Failures failures) {
            super(InvocationType.BLOCKING);
            this.routes = routes;
            this.failures = failures;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Exchange ex = new Exchange(request, response, callback, failures);
            Routes r = routes.get(request.getConnectionMetaData().getConnector());
            try {
                var match = r == null ? java.util.Optional.<Routes.Match>empty() : r.match(request.getMethod(), Request.getPathInContext(request));
                if (match.isEmpty()) {
                    ex.json(404, Exchange.error(r == null ? "not found" : r.notFoundHint()));
                } else if (match.get().endpoint() == null) {
                    ex.header(HttpHeader.ALLOW.asString(), String.join(", ", match.get().allowed()));
                    ex.json(405, Exchange.error("use " + String.join(" or ", match.get().allowed()) + " on " + ex.path()));
                } else {
                    match.get().endpoint().handle(ex);
                }
            } catch (Throwable t) {
                failures.endpointFailed(ex, t);
            }
            return true;
        }
    }

    /** Counters and the one place failures are logged (WARN at most once a second; stack traces at DEBUG). */
    static final class Failures {
        final AtomicLong slowHeads = new AtomicLong();
        final AtomicLong bombs = new AtomicLong();
        final AtomicLong endpointFailures = new AtomicLong();
        final AtomicLong clientsGone = new AtomicLong();
        final java.util.concurrent.ConcurrentHashMap<Integer, AtomicLong> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - 2_000_000_000L);

        void answered(int status) {
            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }

        void decompressionBomb() {
            bombs.incrementAndGet();
        }

        void clientGone(Throwable t) {
            clientsGone.incrementAndGet();
            LOG.debug("Request body not read", t);
        }

        void answeredTwice(Exchange ex, int status) {
            LOG.debug("{} answered twice (second status {} ignored)", ex, status);
        }

        void endpointFailed(Exchange ex, Throwable t) {
            endpointFailures.incrementAndGet();
            long now = System.nanoTime();
            long last = lastWarn.get();
            if (now - last > 1_000_000_000L && lastWarn.compareAndSet(last, now)) {
                LOG.warn("{} failed: {} ({} failures so far)", ex, t.toString(), endpointFailures.get());
            }
            LOG.debug("Stack trace", t);
            try {
                ex.answerQuietly(500, Exchange.error("internal error: " + t.getClass().getSimpleName()));
            } catch (RuntimeException ignored) {
                // the connection is gone
            }
            if (t instanceof OutOfMemoryError oom) {
                throw oom;
            }
        }
    }
}
