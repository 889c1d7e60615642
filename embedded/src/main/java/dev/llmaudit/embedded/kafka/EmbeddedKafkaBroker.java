package dev.llmaudit.embedded.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka 4.x KRaft broker (combined broker + controller) running inside this JVM,
 * built from the plain release jars. Used by tests and by {@code llm-audit local}.
 *
 * <p>Single-node settings that are not optional: the offsets and transaction-state topics get
 * replication factor 1 and min ISR 1 (without them Kafka Streams produces nothing and
 * exactly-once transactions hang, silently). The data directory survives {@link #stop()} /
 * {@link #start()} and, when given by the caller, process restarts.
 */
public final class EmbeddedKafkaBroker implements KafkaCluster {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, String> overrides;
    private final SaslSsl saslSsl;
    private final int saslSslPort;
    private KafkaRaftServer server;

    /**
     * A SASL_SSL listener beside the plaintext one, as production clusters have: SCRAM-SHA-512 users
     * created when the storage is formatted, TLS from a PKCS12 key store. The plaintext listener stays
     * for the broker's own traffic and for test set-up; clients under test are given only this one.
     *
     * @param users SCRAM user name -> password
     */
    public record SaslSsl(Path keyStore, String keyStorePassword, Map<String, String> users) {
        public SaslSsl {
            users = Map.copyOf(users);
        }
    }

    private EmbeddedKafkaBroker(Path dataDir, boolean deleteOnClose, int brokerPort, int controllerPort, Map<String, String> overrides,
                                SaslSsl saslSsl) {
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.overrides = Map.copyOf(overrides);
        this.saslSsl = saslSsl;
        this.saslSslPort = saslSsl == null ? -1 : freePort();
    }

    /** A temporary broker with a SASL_SSL listener too ({@link #saslSslBootstrapServers()}). */
    public static EmbeddedKafkaBroker startWithSaslSsl(Path dataDir, SaslSsl saslSsl) {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, true, freePort(), freePort(), Map.of(), saslSsl);
        broker.start();
        return broker;
    }

    /** The SASL_SSL listener's address. */
    public String saslSslBootstrapServers() {
        if (saslSsl == null) {
            throw new IllegalStateException("this broker has no SASL_SSL listener (start it with startWithSaslSsl)");
        }
        return "127.0.0.1:" + saslSslPort;
    }

    /** Client settings for the SASL_SSL listener as {@code user}, trusting the CA in the trust store. */
    public static Map<String, String> saslSslClient(String user, String password, Path trustStore, String trustStorePassword) {
        Map<String, String> c = new HashMap<>();
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "SCRAM-SHA-512");
        c.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";");
        c.put("ssl.truststore.location", trustStore.toString());
        c.put("ssl.truststore.password", trustStorePassword);
        c.put("ssl.truststore.type", "PKCS12");
        return c;
    }

    /** Starts a broker on free ports with a temporary data directory deleted on close. */
    public static EmbeddedKafkaBroker startTemporary() {
        try {
            return start(Files.createTempDirectory("llm-audit-kafka-"), true, 0, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a broker keeping its data in {@code dataDir} (formatted on first use, reused after).
     *
     * @param port the client port, or 0 for a free one
     * @param overrides extra broker properties
     */
    public static EmbeddedKafkaBroker start(Path dataDir, boolean deleteOnClose, int port, Map<String, String> overrides) {
        return start(dataDir, deleteOnClose, port, 0, overrides);
    }

    /**
     * As {@link #start(Path, boolean, int, Map)} with a fixed controller port too: a broker restarted
     * on the same data directory by another process must find its controller where it was formatted.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, boolean deleteOnClose, int port, int controllerPort, Map<String, String> overrides) {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, deleteOnClose,
                port == 0 ? freePort() : port, controllerPort == 0 ? freePort() : controllerPort, overrides, null);
        broker.start();
        return broker;
    }

    @Override
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    @Override
    public String describe() {
        return "in-JVM KRaft broker at " + bootstrapServers() + " (data in " + dataDir + ")";
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean isRunning() {
        return server != null;
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        long t0 = System.nanoTime();
        Path logDir = dataDir.resolve("kraft-logs");
        Map<String, String> props = properties(logDir);
        try {
            Files.createDirectories(logDir);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(props);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka data directory " + logDir, e);
        }
        KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
        s.startup();
        server = s;
        awaitReady(Duration.ofSeconds(60));
        LOG.info("Kafka broker ready at {} in {} ms", bootstrapServers(), (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        // The OS may keep the port briefly; wait until a new broker could bind it again.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && !portFree(brokerPort)) {
            sleep(50);
        }
    }

    @Override
    public synchronized void close() {
        stop();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    private Map<String, String> properties(Path logDir) {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        p.put("log.dirs", logDir.toString());
        // Single node: without these, Streams produces nothing and EOS transactions hang.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        if (saslSsl != null) {
            p.put("listeners", p.get("listeners") + ",SASL_SSL://127.0.0.1:" + saslSslPort);
            p.put("advertised.listeners", p.get("advertised.listeners") + ",SASL_SSL://127.0.0.1:" + saslSslPort);
            p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + ",SASL_SSL:SASL_SSL");
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
            p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put("ssl.keystore.location", saslSsl.keyStore().toString());
            p.put("ssl.keystore.password", saslSsl.keyStorePassword());
            p.put("ssl.key.password", saslSsl.keyStorePassword());
            p.put("ssl.keystore.type", "PKCS12");
        }
        p.putAll(overrides);
        return p;
    }

    private void format(Map<String, String> props) throws IOException {
        Path cfg = dataDir.resolve("server.properties");
        Properties file = new Properties();
        file.putAll(props);
        try (var out = Files.newOutputStream(cfg)) {
            file.store(out, "llm-audit embedded broker");
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("format", "-t", Uuid.randomUuid().toString(), "-c",
                    cfg.toString(), "--standalone"));
            if (saslSsl != null) {
                saslSsl.users().forEach((user, password) -> {
                    args.add("--add-scram");
                    args.add("SCRAM-SHA-512=[name=" + user + ",password=" + password + "]");
                });
            }
            code = StorageTool.execute(args.toArray(new String[0]), ps);
        }
        if (code != 0) {
            throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed (exit " + code + "): "
                    + captured.toString(StandardCharsets.UTF_8));
        }
    }

    private void awaitReady(Duration timeout) {
        Properties p = clientProperties();
        p.put("request.timeout.ms", "5000");
        p.put("default.api.timeout.ms", "5000");
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Kafka broker at " + bootstrapServers() + " not ready after " + timeout, e);
                    }
                }
                sleep(100);
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }

    private static boolean portFree(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 100);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}", p, e);
                }
            });
        } catch (IOException e) {
            LOG.debug("cannot walk {}", dir, e);
        }
    }
}
