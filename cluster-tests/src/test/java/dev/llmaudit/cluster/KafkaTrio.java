package dev.llmaudit.cluster;

import dev.llmaudit.embedded.tls.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * Three KRaft nodes (broker and controller each), each a separate JVM started from the shipped CLI jar
 * ({@code kafka.Kafka server.properties}), as a production cluster is configured: replication factor 3,
 * {@code min.insync.replicas} 2, transaction state log likewise; clients on a SASL_SSL listener
 * (SCRAM-SHA-512, certificates made at test time), the controllers on mutual TLS, the
 * {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}. The users are formatted
 * into the metadata log with their SCRAM credentials.
 */
final class KafkaTrio implements AutoCloseable {
    static final String ADMIN = "admin";

    final Path dir;
    final TestCertificates.Files certs;
    final Map<String, String> passwords;
    final int[] clientPorts = new int[3];
    final int[] controllerPorts = new int[3];
    final JavaProcess[] nodes = new JavaProcess[3];

    /** @param users every user of users.yaml; an {@value #ADMIN} super user is added */
    KafkaTrio(Path dir, TestCertificates.Files certs, Collection<String> users) {
        this.dir = dir;
        this.certs = certs;
        Map<String, String> p = new LinkedHashMap<>();
        p.put(ADMIN, "admin-" + Uuid.randomUuid());
        users.forEach(u -> p.put(u, u + "-" + Uuid.randomUuid()));
        this.passwords = Map.copyOf(p);
        for (int i = 0; i < 3; i++) {
            clientPorts[i] = freePort();
            controllerPorts[i] = freePort();
        }
    }

    String bootstrapServers() {
        return java.util.stream.IntStream.of(clientPorts).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** Client settings of {@code user}: SASL_SSL, SCRAM-SHA-512, trusting the test CA; bootstrap servers included. */
    Map<String, String> client(String user) {
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap.servers", bootstrapServers());
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "SCRAM-SHA-512");
        c.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + passwords.get(user) + "\";");
        c.put("ssl.truststore.location", certs.trustStore().toString());
        c.put("ssl.truststore.password", TestCertificates.PASSWORD);
        c.put("ssl.truststore.type", "PKCS12");
        return c;
    }

    Properties clientProperties(String user) {
        Properties p = new Properties();
        p.putAll(client(user));
        return p;
    }

    KafkaTrio start(String cliJar) throws IOException {
        String clusterId = Uuid.randomUuid().toString();
        for (int i = 0; i < 3; i++) {
            Path cfg = dir.resolve("node-" + (i + 1) + ".properties");
            Properties props = new Properties();
            props.putAll(properties(i));
            try (var out = Files.newOutputStream(cfg)) {
                props.store(out, "llm-audit cluster tier, node " + (i + 1));
            }
            format(clusterId, cfg);
            nodes[i] = JavaProcess.of("kafka-" + (i + 1), dir, "640m",
                    List.of("-Dlog4j2.configurationFile=" + logConfig()), List.of("-cp", cliJar, "kafka.Kafka", cfg.toString()));
            nodes[i].start();
        }
        for (JavaProcess n : nodes) {
            n.awaitLog("Kafka Server started", 0, Duration.ofSeconds(120));
        }
        return this;
    }

    /** Restarts a killed node on its own data; returns once it serves again. */
    void restart(int index) {
        int from = nodes[index].output().length();
        nodes[index].start();
        nodes[index].awaitLog("Kafka Server started", from, Duration.ofSeconds(120));
    }

    /** The node (0-based) that leads most partitions of {@code topic}. */
    int leaderOfMost(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        Map<Integer, Long> byLeader = d.partitions().stream().filter(p -> p.leader() != null)
                .collect(Collectors.groupingBy(p -> p.leader().id(), Collectors.counting()));
        int id = byLeader.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        return id - 1;
    }

    /** True when every partition of the topics has all 3 replicas in sync. */
    boolean fullyReplicated(Admin admin, List<String> topics) throws Exception {
        for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
            for (TopicPartitionInfo p : d.partitions()) {
                if (p.isr().size() < 3) {
                    return false;
                }
            }
        }
        return true;
    }

    private Map<String, String> properties(int i) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(i + 1));
        List<String> voters = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            voters.add((n + 1) + "@127.0.0.1:" + controllerPorts[n]);
        }
        p.put("controller.quorum.voters", String.join(",", voters));
        p.put("listeners", "SASL_SSL://127.0.0.1:" + clientPorts[i] + ",CONTROLLER://127.0.0.1:" + controllerPorts[i]);
        p.put("advertised.listeners", "SASL_SSL://127.0.0.1:" + clientPorts[i]);
        p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SSL");
        p.put("controller.listener.names", "CONTROLLER");
        // Brokers replicate over the clients' listener as the admin user (SCRAM needs the metadata log, so
        // the controllers, which serve it, authenticate each other and the brokers with mutual TLS instead).
        p.put("inter.broker.listener.name", "SASL_SSL");
        p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        p.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + ADMIN + "\" password=\"" + passwords.get(ADMIN) + "\";");
        p.put("listener.name.controller.ssl.client.auth", "required");
        p.put("ssl.keystore.location", certs.serverKeyStore().toString());
        p.put("ssl.keystore.password", TestCertificates.PASSWORD);
        p.put("ssl.key.password", TestCertificates.PASSWORD);
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.truststore.location", certs.trustStore().toString());
        p.put("ssl.truststore.password", TestCertificates.PASSWORD);
        p.put("ssl.truststore.type", "PKCS12");
        // The nodes' certificate (CN=localhost) is the controllers' and brokers' principal on the TLS listener.
        p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)$/$1/,DEFAULT");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:" + ADMIN + ";User:localhost");
        p.put("allow.everyone.if.no.acl.found", "false");
        p.put("log.dirs", dir.resolve("data-" + (i + 1)).toString());
        p.put("default.replication.factor", "3");
        p.put("min.insync.replicas", "2");
        p.put("offsets.topic.replication.factor", "3");
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.replication.factor", "3");
        p.put("transaction.state.log.min.isr", "2");
        p.put("transaction.state.log.num.partitions", "6");
        p.put("unclean.leader.election.enable", "false");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.segment.bytes", Integer.toString(32 * 1024 * 1024));
        return p;
    }

    private void format(String clusterId, Path cfg) {
        List<String> args = new ArrayList<>(List.of("format", "-t", clusterId, "-c", cfg.toString()));
        passwords.forEach((user, password) -> {
            args.add("--add-scram");
            args.add("SCRAM-SHA-512=[name=" + user + ",password=" + password + "]");
        });
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            code = kafka.tools.StorageTool.execute(args.toArray(new String[0]), ps);
        } catch (Exception e) {
            throw new IllegalStateException("formatting " + cfg + " failed: " + e + "\n" + captured.toString(StandardCharsets.UTF_8), e);
        }
        if (code != 0) {
            throw new IllegalStateException("formatting " + cfg + " failed (exit " + code + "): " + captured.toString(StandardCharsets.UTF_8));
        }
    }

    private Path logConfig() throws IOException {
        Path f = dir.resolve("kafka-log4j2.properties");
        if (!Files.exists(f)) {
            // "Kafka Server started" is how the test knows a node is up.
            JavaProcess.writeLogConfig(f, Map.of("kafka.server.KafkaRaftServer", "INFO", "kafka.server.BrokerServer", "INFO"));
        }
        return f;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (JavaProcess n : nodes) {
            if (n != null) {
                n.close();
            }
        }
    }
}
