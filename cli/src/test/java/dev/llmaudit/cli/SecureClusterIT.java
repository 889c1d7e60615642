package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.embedded.tls.TestCertificates;
import dev.llmaudit.enforcer.Enforcer;
import dev.llmaudit.enforcer.EnforcerConfig;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import dev.llmaudit.ingest.gateway.ApiKeys;
import dev.llmaudit.ingest.gateway.GatewayConfig;
import dev.llmaudit.ingest.gateway.IngestGateway;
import dev.llmaudit.jobs.Topics;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Kafka client llm-audit creates takes the same TLS/SASL settings. A broker whose clients'
 * listener is SASL_SSL (SCRAM-SHA-512, certificates made at test time) and a schema registry behind
 * HTTPS and basic auth; every component is given only that listener and registry, so a client that
 * dropped the settings could not connect at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureClusterIT {
    static final String USER = "llm-audit";
    static final String PASSWORD = "scram-secret-" + System.nanoTime();

    Path dir;
    TestCertificates.Files certs;
    EmbeddedKafkaBroker broker;
    EmbeddedSchemaRegistry registry;
    Map<String, String> kafka;
    Map<String, String> registryClient;
    Path clientFile;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        certs = TestCertificates.create(dir.resolve("certs"));
        broker = EmbeddedKafkaBroker.startWithSaslSsl(dir.resolve("kafka"),
                new EmbeddedKafkaBroker.SaslSsl(certs.serverKeyStore(), TestCertificates.PASSWORD, Map.of(USER, PASSWORD)));
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers(), "_schemas", 0, "reg:reg-secret", serverTls(certs));
        kafka = EmbeddedKafkaBroker.saslSslClient(USER, PASSWORD, certs.trustStore(), TestCertificates.PASSWORD);
        registryClient = Map.of(RegistryConfig.URL, registry.url(), RegistryConfig.BASIC_AUTH_USER_INFO, "reg:reg-secret",
                RegistryConfig.TRUSTSTORE_LOCATION, certs.trustStore().toString(), RegistryConfig.TRUSTSTORE_PASSWORD, TestCertificates.PASSWORD);
        clientFile = dir.resolve("client.properties");
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(RegistryConfig.BASIC_AUTH_USER_INFO, "reg:reg-secret");
        p.put(RegistryConfig.TRUSTSTORE_LOCATION, certs.trustStore().toString());
        p.put(RegistryConfig.TRUSTSTORE_PASSWORD, TestCertificates.PASSWORD);
        try (var out = Files.newOutputStream(clientFile)) {
            p.store(out, null);
        }
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static SSLContext serverTls(TestCertificates.Files certs) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.serverKeyStore())) {
            ks.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, TestCertificates.PASSWORD.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    String secure() {
        return broker.saslSslBootstrapServers();
    }

    /** Every record of a topic, read over SASL_SSL (read_committed). */
    <T> List<T> read(String topic, Class<T> type, int expected) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("bootstrap.servers", secure());
        p.put("group.id", "read-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, T> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ConfluentAvroDeserializer<>(new SchemaRegistryClient(RegistryConfig.fromMap(registryClient)), type))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }

    @Test
    void theListenerRefusesWrongCredentials() {
        Properties p = new Properties();
        p.putAll(EmbeddedKafkaBroker.saslSslClient(USER, "wrong", certs.trustStore(), TestCertificates.PASSWORD));
        p.put("bootstrap.servers", secure());
        p.put("default.api.timeout.ms", "10000");
        p.put("request.timeout.ms", "10000");
        try (Admin admin = Admin.create(p)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
        }
    }

    @Test
    void topicCreationAndPoliciesPublishUseTheSettings() throws Exception {
        String topic = "secure.policies." + System.nanoTime();
        LlmAuditCommandTest.Run run = LlmAuditCommandTest.run("policies", "publish", "../policies/bundle", "--bootstrap-servers", secure(),
                "--kafka-config", clientFile.toString(), "--topic", topic);
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("Published bundle default version");
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("bootstrap.servers", secure());
        try (Admin admin = Admin.create(p)) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(topic);
        }
    }

    @Test
    void theJavaClientConfiguredFromTheEnvironmentWritesOverSaslSsl() throws Exception {
        String topic = "secure.events.client";
        Topics.ensure(secure(), kafka, Map.of("llm.events", topic), 1);
        Map<String, String> env = new HashMap<>();
        env.put("LLM_AUDIT_BOOTSTRAP_SERVERS", secure());
        env.put("LLM_AUDIT_TOPIC", topic);
        env.put("LLM_AUDIT_SCHEMA_REGISTRY_URL", registry.url());
        env.put("LLM_AUDIT_BASIC_AUTH_USER_INFO", "reg:reg-secret");
        env.put("LLM_AUDIT_SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION", certs.trustStore().toString());
        env.put("LLM_AUDIT_SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD", TestCertificates.PASSWORD);
        env.put("LLM_AUDIT_SPOOL_DIR", dir.resolve("spool").toString());
        kafka.forEach((k, v) -> env.put("LLM_AUDIT_KAFKA_" + k.toUpperCase(java.util.Locale.ROOT).replace('.', '_'), v));
        try (LlmAuditClient client = LlmAuditClient.create(ClientConfig.fromEnvironment(env), new SimpleMeterRegistry())) {
            client.record(LlmCallEvent.newBuilder().setEventId("secure-1").setEventTime(Instant.now()).setInputTokens(1L).build());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (client.stats().sent() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(client.stats().sent()).isEqualTo(1);
            assertThat(client.stats().spooled()).isZero();
        }
        assertThat(read(topic, LlmCallEvent.class, 1)).extracting(LlmCallEvent::getEventId).containsExactly("secure-1");
    }

    @Test
    void theGatewayAndTheEnforcerRunOverSaslSslAndAnHttpsRegistry() throws Exception {
        String prefix = "secure.pipe." + System.nanoTime() + ".";
        String key = ApiKeys.newKey();
        GatewayConfig g = GatewayConfig.defaults(secure(), registry.url()).withPorts("127.0.0.1", 0, 0).withTopic(prefix + "llm.events")
                .withKafkaClient(kafka).withRegistry(registryClient).withTransactionalIdPrefix(prefix + "ingest");
        Path enforcerConfig = dir.resolve(prefix + "enforcer.properties");
        List<String> lines = new ArrayList<>(List.of("application.id=" + prefix + "enforcer", "bootstrap.servers=" + secure(),
                "schema.registry.url=" + registry.url(), "schema.registry.basic.auth.user.info=reg:reg-secret",
                "schema.registry.ssl.truststore.location=" + certs.trustStore(), "schema.registry.ssl.truststore.password=" + TestCertificates.PASSWORD,
                "bundle.dir=../policies/bundle", "state.dir=" + dir.resolve(prefix + "state"), "http.port=0", "topic.partitions=1",
                "topic.events=" + prefix + "llm.events", "topic.dlq=" + prefix + "llm.events.dlq", "topic.priced=" + prefix + "llm.events.priced",
                "topic.violations=" + prefix + "llm.violations", "topic.budget.status=" + prefix + "llm.budget.status",
                "topic.policies=" + prefix + "llm.policies"));
        kafka.forEach((k, v) -> lines.add("streams." + k + "=" + v.replace("\\", "\\\\")));
        Files.write(enforcerConfig, lines);
        // The enforcer creates every topic it uses (Topics.ensure) with the same settings, before the gateway needs one.
        try (Enforcer enforcer = Enforcer.start(EnforcerConfig.load(enforcerConfig, Map.of()));
             IngestGateway gateway = IngestGateway.start(g, ApiKeys.of(Map.of(ApiKeys.sha256(key), "acme")))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/events"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"event_id\":\"secure-gw-1\",\"event_time\":\"" + Instant.now()
                            + "\",\"cloud\":\"openai\",\"request_model\":\"gpt-5.5\",\"input_tokens\":1000,\"output_tokens\":100}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            List<PricedLlmCall> priced = read(prefix + "llm.events.priced", PricedLlmCall.class, 1);
            assertThat(priced).hasSize(1);
            assertThat(priced.get(0).getEvent().getEventId()).isEqualTo("secure-gw-1");
            assertThat(priced.get(0).getCost().getAmount()).isEqualByComparingTo("0.008");
        }
    }
}
