package dev.llmaudit.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llmaudit.schemas.registry.CompatibilityLevel;
import dev.llmaudit.schemas.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Confluent-compatible schema registry (Avro only) for tests and the local all-in-one run. It
 * serves the REST subset llm-audit's client uses, with Confluent's error codes (40401, 40402,
 * 40403, 40408, 409, 42201, 42203) and compatibility enforcement (BACKWARD by default), and keeps
 * every registration in a compacted Kafka topic ({@code _schemas} by default) so it survives
 * restarts. One instance per topic: it is the only writer.
 *
 * <p>Not for production: production points at Confluent Schema Registry, Apicurio (ccompat),
 * Karapace or Redpanda.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
    public static final String DEFAULT_TOPIC = "_schemas";
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final Pattern SUBJECT_VERSIONS = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern SUBJECT_VERSION = Pattern.compile("/subjects/([^/]+)/versions/([^/]+)");
    private static final Pattern SUBJECT_VERSION_SCHEMA = Pattern.compile("/subjects/([^/]+)/versions/([^/]+)/schema");
    private static final Pattern SUBJECT = Pattern.compile("/subjects/([^/]+)");
    private static final Pattern SCHEMA_BY_ID = Pattern.compile("/schemas/ids/(\\d+)");
    private static final Pattern SCHEMA_BY_ID_RAW = Pattern.compile("/schemas/ids/(\\d+)/schema");
    private static final Pattern COMPATIBILITY = Pattern.compile("/compatibility/subjects/([^/]+)/versions/([^/]+)");
    private static final Pattern CONFIG_SUBJECT = Pattern.compile("/config/([^/]+)");

    private final SchemaStore store = new SchemaStore();
    private final String topic;
    private final KafkaProducer<String, String> producer;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String requiredAuthorization;

    private final boolean https;

    private EmbeddedSchemaRegistry(Map<String, String> kafka, String topic, int port, String basicAuthUserInfo,
                                   javax.net.ssl.SSLContext tls) throws IOException {
        this.https = tls != null;
        this.topic = topic;
        this.requiredAuthorization = basicAuthUserInfo == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
        ensureTopic(kafka, topic);
        replay(kafka, topic);
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        } else {
            com.sun.net.httpserver.HttpsServer secure = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", port), 64);
            secure.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            server = secure;
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("Schema registry listening on {} (schemas kept in topic {})", url(), topic);
    }

    /** Starts on a free port, storing schemas in {@code _schemas}. */
    public static EmbeddedSchemaRegistry start(String bootstrapServers) {
        return start(bootstrapServers, DEFAULT_TOPIC, 0, null);
    }

    /**
     * @param port 0 for a free port
     * @param basicAuthUserInfo {@code user:password} to require HTTP basic auth, or null for none
     */
    public static EmbeddedSchemaRegistry start(String bootstrapServers, String topic, int port, String basicAuthUserInfo) {
        return start(bootstrapServers, topic, port, basicAuthUserInfo, null);
    }

    /**
     * As above, serving HTTPS with this TLS context when it is not null (a registry behind TLS and
     * basic auth, as in production), for tests of the clients' TLS settings.
     */
    public static EmbeddedSchemaRegistry start(String bootstrapServers, String topic, int port, String basicAuthUserInfo,
                                               javax.net.ssl.SSLContext tls) {
        return start(Map.of("bootstrap.servers", bootstrapServers), topic, port, basicAuthUserInfo, tls);
    }

    /**
     * As above, keeping its schemas on a cluster reached with these Kafka client settings
     * ({@code bootstrap.servers} and any TLS/SASL settings): a cluster with authentication and ACLs.
     */
    public static EmbeddedSchemaRegistry start(Map<String, String> kafka, String topic, int port, String basicAuthUserInfo,
                                               javax.net.ssl.SSLContext tls) {
        try {
            return new EmbeddedSchemaRegistry(kafka, topic, port, basicAuthUserInfo, tls);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the schema registry on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** Base URL, e.g. http://127.0.0.1:41234 (https://localhost:... when serving TLS: the test certificate's name). */
    public String url() {
        return https ? "https://localhost:" + server.getAddress().getPort() : "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }

    private static void ensureTopic(Map<String, String> kafka, String topic) {
        Properties p = new Properties();
        p.putAll(kafka);
        String bootstrapServers = kafka.get("bootstrap.servers");
        try (Admin admin = Admin.create(p)) {
            NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of("cleanup.policy", "compact"));
            admin.createTopics(Set.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create schema topic " + topic + ": " + e.getCause(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating schema topic " + topic + " at " + bootstrapServers, e);
        }
    }

    /** Reads the schema topic from the beginning to its end before serving anything. */
    private void replay(Map<String, String> kafka, String topic) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            int count = 0;
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        store.apply(JSON.readValue(r.value(), SchemaStore.LogEntry.class));
                        count++;
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("Skipping unreadable entry at offset {} of {}: {}", r.offset(), topic, e.getMessage());
                    }
                }
            }
            LOG.debug("Replayed {} schema registry entries from {}", count, topic);
        }
    }

    /** Writes the entry to Kafka (acknowledged) before it becomes visible. */
    private void persist(SchemaStore.LogEntry entry) {
        try {
            producer.send(new ProducerRecord<>(topic, entry.key(), JSON.writeValueAsString(entry))).get(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(500, 50001, "interrupted while storing the schema", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | IOException e) {
            throw new RegistryException(500, 50001, "Error while storing the schema in Kafka topic " + topic + ": " + e, e);
        }
        store.apply(entry);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (requiredAuthorization != null && !requiredAuthorization.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"schema-registry\"");
                send(ex, 401, error(401, "Unauthorized"));
                return;
            }
            try {
                JsonNode answer = route(ex.getRequestMethod(), ex.getRequestURI(), ex);
                send(ex, 200, answer);
            } catch (RegistryException e) {
                send(ex, e.httpStatus(), error(e.errorCode(), e.getMessage()));
            } catch (RuntimeException e) {
                LOG.warn("Schema registry request {} {} failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
                LOG.debug("Stack trace", e);
                send(ex, 500, error(50001, "Error in the backend data store: " + e.getMessage()));
            }
        }
    }

    private JsonNode route(String method, URI uri, HttpExchange ex) throws IOException {
        String path = uri.getRawPath();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        Map<String, String> query = query(uri);
        Matcher m;
        synchronized (store) {
            if (path.equals("/") || path.isEmpty()) {
                return JSON.createObjectNode();
            }
            if (path.equals("/schemas/types") && method.equals("GET")) {
                return JSON.createArrayNode().add("AVRO");
            }
            if (path.equals("/subjects") && method.equals("GET")) {
                ArrayNode a = JSON.createArrayNode();
                store.subjectNames().forEach(a::add);
                return a;
            }
            if ((m = SCHEMA_BY_ID_RAW.matcher(path)).matches() && method.equals("GET")) {
                return JSON.readTree(store.schemaById(Integer.parseInt(m.group(1))));
            }
            if ((m = SCHEMA_BY_ID.matcher(path)).matches() && method.equals("GET")) {
                return JSON.createObjectNode().put("schema", store.schemaById(Integer.parseInt(m.group(1))));
            }
            if ((m = SUBJECT_VERSION_SCHEMA.matcher(path)).matches() && method.equals("GET")) {
                return JSON.readTree(store.version(decode(m.group(1)), m.group(2)).schema());
            }
            if ((m = SUBJECT_VERSION.matcher(path)).matches() && method.equals("GET")) {
                return versionNode(store.version(decode(m.group(1)), m.group(2)));
            }
            if ((m = SUBJECT_VERSIONS.matcher(path)).matches()) {
                String subject = decode(m.group(1));
                if (method.equals("GET")) {
                    List<SchemaStore.Version> versions = store.allVersions(subject);
                    if (versions.isEmpty()) {
                        throw SchemaStore.subjectNotFound(subject);
                    }
                    ArrayNode a = JSON.createArrayNode();
                    versions.forEach(v -> a.add(v.version()));
                    return a;
                }
                if (method.equals("POST")) {
                    Schema schema = schemaFromBody(ex);
                    Optional<SchemaStore.LogEntry> entry = store.planRegistration(subject, schema);
                    if (entry.isPresent()) {
                        persist(entry.get());
                        return JSON.createObjectNode().put("id", entry.get().id());
                    }
                    return JSON.createObjectNode().put("id", store.find(subject, schema).orElseThrow().id());
                }
            }
            if ((m = SUBJECT.matcher(path)).matches() && method.equals("POST")) {
                String subject = decode(m.group(1));
                Schema schema = schemaFromBody(ex);
                if (!store.hasSubject(subject)) {
                    throw SchemaStore.subjectNotFound(subject);
                }
                return versionNode(store.find(subject, schema).orElseThrow(
                        () -> new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema not found")));
            }
            if ((m = COMPATIBILITY.matcher(path)).matches() && method.equals("POST")) {
                String subject = decode(m.group(1));
                Schema schema = schemaFromBody(ex);
                List<SchemaStore.Version> against = m.group(2).equals("latest") && store.allVersions(subject).isEmpty()
                        ? List.of()
                        : store.level(subject).transitive() ? store.allVersions(subject) : List.of(store.version(subject, m.group(2)));
                List<String> problems = store.incompatibilities(subject, schema, against);
                ObjectNode o = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
                if (Boolean.parseBoolean(query.getOrDefault("verbose", "false"))) {
                    ArrayNode messages = o.putArray("messages");
                    problems.forEach(messages::add);
                }
                return o;
            }
            if (path.equals("/config")) {
                if (method.equals("GET")) {
                    return JSON.createObjectNode().put("compatibilityLevel", store.level(null).name());
                }
                if (method.equals("PUT")) {
                    CompatibilityLevel level = levelFromBody(ex);
                    persist(SchemaStore.LogEntry.config(null, level));
                    return JSON.createObjectNode().put("compatibility", level.name());
                }
            }
            if ((m = CONFIG_SUBJECT.matcher(path)).matches()) {
                String subject = decode(m.group(1));
                if (method.equals("GET")) {
                    Optional<CompatibilityLevel> level = store.subjectLevel(subject);
                    if (level.isEmpty() && !Boolean.parseBoolean(query.getOrDefault("defaultToGlobal", "false"))) {
                        throw new RegistryException(404, RegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                                "Subject '" + subject + "' does not have subject-level compatibility configured");
                    }
                    return JSON.createObjectNode().put("compatibilityLevel", level.orElse(store.level(null)).name());
                }
                if (method.equals("PUT")) {
                    CompatibilityLevel level = levelFromBody(ex);
                    persist(SchemaStore.LogEntry.config(subject, level));
                    return JSON.createObjectNode().put("compatibility", level.name());
                }
            }
        }
        throw new RegistryException(404, 404, "HTTP 404 Not Found: " + method + " " + path + " is not served by the embedded registry");
    }

    private static ObjectNode versionNode(SchemaStore.Version v) {
        return JSON.createObjectNode().put("subject", v.subject()).put("version", v.version()).put("id", v.id()).put("schema", v.schema());
    }

    private static Schema schemaFromBody(HttpExchange ex) throws IOException {
        JsonNode body = body(ex);
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "Invalid schema type " + type + ": the embedded registry serves AVRO only");
        }
        if (body.path("references").size() > 0) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "Schema references are not supported by the embedded registry");
        }
        return SchemaStore.parse(body.path("schema").isTextual() ? body.path("schema").asText() : null);
    }

    private static CompatibilityLevel levelFromBody(HttpExchange ex) throws IOException {
        String level = body(ex).path("compatibility").asText("");
        try {
            return CompatibilityLevel.valueOf(level);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(422, RegistryException.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level '" + level
                    + "'. Valid values are " + java.util.Arrays.toString(CompatibilityLevel.values()));
        }
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(8 * 1024 * 1024);
            try {
                JsonNode n = JSON.readTree(bytes);
                return n == null ? JSON.createObjectNode() : n;
            } catch (IOException e) {
                throw new RegistryException(422, 422, "Unprocessable entity: request body is not JSON: " + e.getMessage());
            }
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new java.util.HashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
                }
            }
        }
        return q;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static ObjectNode error(int code, String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message);
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
