package dev.llmaudit.ingest.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.FieldError;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP ingest for gateways and services that cannot embed the Java client.
 *
 * <p>{@code POST /v1/events} takes one canonical JSON event, a JSON array of them, or NDJSON (one
 * per line), and also LiteLLM's {@code StandardLoggingPayload} in its single, json_array and ndjson
 * forms. The tenant of every event is the API key's tenant; an event claiming another is refused.
 * A request is all-or-nothing: if any item is invalid the answer is 400 with a result per item and
 * nothing is written; otherwise all items are written in one Kafka transaction and the answer is
 * 202 only after the commit (consumers read with {@code isolation.level=read_committed}). 413 for
 * bodies over the limit, 415 for other content types, 401 for missing or unknown keys, 503 with
 * Retry-After when overloaded or when Kafka does not acknowledge in time.
 *
 * <p>{@code GET /healthz} (process up), {@code GET /readyz} (Kafka reachable), {@code GET /metrics}
 * (Prometheus).
 */
public final class IngestGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestGateway.class);

    private final GatewayConfig config;
    private final ApiKeys keys;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Semaphore inFlight;
    private final BlockingQueue<TransactionalWriter> writers;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer requestTimer;
    private final Counter accepted;
    private final Counter rejected;
    private final Admin admin;
    private final UnaryOperator<String> hmac;
    private volatile boolean kafkaReady;
    private final java.util.concurrent.ScheduledExecutorService readiness;

    private IngestGateway(GatewayConfig config, ApiKeys keys) throws IOException {
        this.config = config;
        this.keys = keys;
        this.inFlight = new Semaphore(config.maxInFlight());
        this.requestTimer = Timer.builder("llm_audit_ingest_request").description("POST /v1/events handling time")
                .publishPercentileHistogram().register(meters);
        this.accepted = Counter.builder("llm_audit_ingest_events").tag("result", "accepted").register(meters);
        this.rejected = Counter.builder("llm_audit_ingest_events").tag("result", "rejected").register(meters);
        this.hmac = hmacFunction(config.hmacKey());
        Properties adminProps = new Properties();
        adminProps.putAll(config.kafkaClient());
        adminProps.put("bootstrap.servers", config.bootstrapServers());
        adminProps.put("request.timeout.ms", "3000");
        adminProps.put("default.api.timeout.ms", "3000");
        this.admin = Admin.create(adminProps);
        SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(config.registry()));
        this.writers = new ArrayBlockingQueue<>(config.producers());
        for (int i = 0; i < config.producers(); i++) {
            writers.add(new TransactionalWriter(config.transactionalIdPrefix() + "-" + i, registry));
        }
        this.executor = Executors.newFixedThreadPool(config.maxInFlight() + 4, r -> {
            Thread t = new Thread(r, "ingest-http");
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
        server.setExecutor(executor);
        server.createContext("/v1/events", this::events);
        server.createContext("/healthz", ex -> respond(ex, 200, json().put("status", "ok")));
        server.createContext("/readyz", ex -> respond(ex, kafkaReady ? 200 : 503,
                json().put("status", kafkaReady ? "ready" : "kafka unreachable at " + config.bootstrapServers())));
        server.createContext("/metrics", this::metrics);
        server.createContext("/", ex -> respond(ex, 404, error("not found: use POST /v1/events, GET /healthz, /readyz or /metrics")));
        this.readiness = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-readiness");
            t.setDaemon(true);
            return t;
        });
        checkKafka();
        readiness.scheduleWithFixedDelay(this::checkKafka, 5, 5, TimeUnit.SECONDS);
        server.start();
        LOG.info("Ingest gateway listening on http://{}:{}/v1/events ({} API keys, topic {})", config.host(), port(), keys.size(), config.topic());
    }

    public static IngestGateway start(GatewayConfig config, ApiKeys keys) {
        try {
            return new IngestGateway(config, keys);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage()
                    + " (is another process using the port? choose one with --port)", e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    private void checkKafka() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000)).nodes().get(4, TimeUnit.SECONDS);
            kafkaReady = true;
        } catch (Exception e) {
            kafkaReady = false;
        }
    }

    // ------------------------------------------------------------------ POST /v1/events

    private void events(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("POST")) {
                drain(ex);
                ex.getResponseHeaders().add("Allow", "POST");
                respond(ex, 405, error("use POST to send events"));
                return;
            }
            String key = presentedKey(ex);
            if (key == null) {
                drain(ex);
                respond(ex, 401, error("missing API key: send \"Authorization: Bearer <key>\" (or X-API-Key)"));
                return;
            }
            String tenant = keys.tenantOf(key).orElse(null);
            if (tenant == null) {
                drain(ex);
                respond(ex, 401, error("unknown API key"));
                return;
            }
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            String mediaType = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
            boolean ndjson = mediaType.equals("application/x-ndjson") || mediaType.equals("application/jsonl")
                    || mediaType.equals("application/json-lines") || mediaType.equals("application/ndjson");
            if (!ndjson && !mediaType.equals("application/json")) {
                drain(ex);
                respond(ex, 415, error("unsupported Content-Type \"" + (type == null ? "" : type)
                        + "\": send application/json (one event or an array) or application/x-ndjson (one event per line)"));
                return;
            }
            String declared = ex.getRequestHeaders().getFirst("Content-Length");
            if (declared != null && parseLong(declared) > config.maxBodyBytes()) {
                drain(ex);
                respond(ex, 413, error("body of " + declared + " bytes is over the limit of " + config.maxBodyBytes() + " bytes; send smaller batches"));
                return;
            }
            if (!inFlight.tryAcquire()) {
                drain(ex); // an unread body makes the JDK server reset the connection instead of answering
                ex.getResponseHeaders().add("Retry-After", "1");
                respond(ex, 503, error("overloaded: too many requests in flight; retry after 1 second"));
                return;
            }
            try {
                Timer.Sample sample = Timer.start(meters);
                handleBatch(ex, tenant, ndjson);
                sample.stop(requestTimer);
            } finally {
                inFlight.release();
            }
        } catch (RuntimeException e) {
            LOG.warn("Ingest request failed: {}", e.toString());
            LOG.debug("Stack trace", e);
            respond(ex, 500, error("internal error: " + e.getClass().getSimpleName()));
        }
    }

    private void handleBatch(HttpExchange ex, String tenant, boolean ndjson) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxBodyBytes() + 1));
        }
        if (body.length > config.maxBodyBytes()) {
            drain(ex);
            respond(ex, 413, error("body is over the limit of " + config.maxBodyBytes() + " bytes; send smaller batches"));
            return;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            respond(ex, 400, error("body is not valid UTF-8 text"));
            return;
        }
        if (text.isBlank()) {
            respond(ex, 400, error("empty body: send one event, an array of events, or one event per line"));
            return;
        }
        List<Item> items;
        try {
            items = ndjson || looksLikeNdjson(text) ? ndjsonItems(text) : jsonItems(text);
        } catch (JsonProcessingException e) {
            respond(ex, 400, error(LlmCallEventJson.describeMalformed(e)));
            return;
        }
        if (items.size() > config.maxEventsPerRequest()) {
            respond(ex, 413, error(items.size() + " events in one request; at most " + config.maxEventsPerRequest() + " are accepted"));
            return;
        }
        List<LlmCallEvent> events = new ArrayList<>(items.size());
        ArrayNode results = json().arrayNode();
        int bad = 0;
        for (Item item : items) {
            ObjectNode r = results.addObject().put("line", item.line());
            List<FieldError> errors = new ArrayList<>();
            LlmCallEvent event = null;
            if (item.parseError() != null) {
                errors.add(new FieldError("$", item.parseError()));
            } else {
                JsonNode node = item.node();
                if (LiteLlmPayload.looks(node)) {
                    node = LiteLlmPayload.toCanonical(node, hmac);
                }
                if (node.isObject()) {
                    JsonNode claimed = node.get("tenant");
                    if (claimed != null && !claimed.isNull() && !claimed.asText().equals(tenant)) {
                        errors.add(new FieldError("tenant", "this API key belongs to tenant " + tenant + "; the event claims \""
                                + claimed.asText() + "\" (leave tenant out: it is set from the key)"));
                    }
                    ((ObjectNode) node).put("tenant", tenant);
                }
                EventParseResult parsed = LlmCallEventJson.fromNode(node);
                errors.addAll(parsed.errors());
                event = errors.isEmpty() ? parsed.event() : null;
            }
            if (event != null) {
                events.add(event);
                r.put("event_id", event.getEventId()).put("status", "valid");
            } else {
                bad++;
                r.put("status", "rejected");
                ArrayNode errs = r.putArray("errors");
                for (FieldError fe : errors) {
                    errs.addObject().put("field", fe.field()).put("message", fe.message());
                }
            }
        }
        if (bad > 0) {
            rejected.increment(items.size());
            respond(ex, 400, json().put("error", bad + " of " + items.size() + " events are invalid; nothing was written. "
                    + "Fix the rejected items and send the request again.").put("accepted", 0).set("results", results));
            return;
        }
        String failure = write(events);
        if (failure != null) {
            ex.getResponseHeaders().add("Retry-After", "5");
            respond(ex, 503, error("events not written: " + failure + "; nothing was written, retry after 5 seconds"));
            return;
        }
        accepted.increment(events.size());
        results.forEach(r -> ((ObjectNode) r).put("status", "accepted"));
        respond(ex, 202, json().put("accepted", events.size()).set("results", results));
    }

    /** One item of a batch: a parsed JSON value or the reason its line could not be parsed. */
    private record Item(int line, JsonNode node, String parseError) {}

    private static boolean looksLikeNdjson(String text) {
        // Some senders use application/json for NDJSON: several top-level values, one per line.
        try (JsonParser p = LlmCallEventJson.mapper().createParser(text)) {
            p.skipChildren();
            if (p.nextToken() == null) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() != null;
        } catch (IOException e) {
            return false; // the real parse reports the error
        }
    }

    private static List<Item> jsonItems(String text) throws JsonProcessingException {
        JsonNode root = LlmCallEventJson.mapper().readTree(text);
        List<Item> items = new ArrayList<>();
        if (root.isArray()) {
            for (int i = 0; i < root.size(); i++) {
                items.add(new Item(i + 1, root.get(i), null));
            }
        } else {
            items.add(new Item(1, root, null));
        }
        return items;
    }

    private static List<Item> ndjsonItems(String text) {
        List<Item> items = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) {
                continue;
            }
            try {
                items.add(new Item(i + 1, LlmCallEventJson.mapper().readTree(line), null));
            } catch (JsonProcessingException e) {
                items.add(new Item(i + 1, null, LlmCallEventJson.describeMalformed(e)));
            }
        }
        return items;
    }

    /** Writes the events in one transaction; null on success, else why not. */
    private String write(List<LlmCallEvent> events) {
        TransactionalWriter writer;
        try {
            writer = writers.poll(config.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        if (writer == null) {
            return "all Kafka writers busy for " + config.ackTimeout().toSeconds() + " s";
        }
        try {
            return writer.write(events);
        } finally {
            writers.add(writer);
        }
    }

    /** A transactional producer that replaces itself after a failure (a new one fences the old transaction). */
    private final class TransactionalWriter {
        private final String transactionalId;
        private final SchemaRegistryClient registry;
        private KafkaProducer<String, LlmCallEvent> producer;

        TransactionalWriter(String transactionalId, SchemaRegistryClient registry) {
            this.transactionalId = transactionalId;
            this.registry = registry;
        }

        String write(List<LlmCallEvent> events) {
            try {
                if (producer == null) {
                    producer = create();
                }
                producer.beginTransaction();
                for (LlmCallEvent e : events) {
                    producer.send(new ProducerRecord<>(config.topic(), e.getEventId(), e));
                }
                producer.commitTransaction();
                kafkaReady = true;
                return null;
            } catch (RuntimeException e) {
                LOG.warn("Kafka write failed ({}{}); {} events not written", e.toString(),
                        e.getCause() == null ? "" : ", caused by " + e.getCause(), events.size());
                LOG.debug("Stack trace", e);
                discard();
                kafkaReady = false;
                return "Kafka did not acknowledge (" + e.getClass().getSimpleName() + ")";
            }
        }

        private KafkaProducer<String, LlmCallEvent> create() {
            Map<String, Object> p = new java.util.HashMap<>(config.kafkaClient());
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(config.ackTimeout().toMillis()));
            long request = Math.max(1000, Math.min(config.ackTimeout().toMillis() / 2, 30_000));
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(request));
            // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.max(config.ackTimeout().toMillis(), request + 100)));
            p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
            KafkaProducer<String, LlmCallEvent> kp = new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(registry, true));
            try {
                kp.initTransactions();
            } catch (RuntimeException e) {
                kp.close(Duration.ZERO);
                throw e;
            }
            return kp;
        }

        private void discard() {
            if (producer != null) {
                try {
                    producer.close(Duration.ZERO); // an open transaction is aborted when the next producer with this id starts
                } catch (RuntimeException ignored) {
                    // already broken
                }
                producer = null;
            }
        }

        void close() {
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
                producer = null;
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = meters.scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static String presentedKey(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        String key = ex.getRequestHeaders().getFirst("X-API-Key");
        return key == null || key.isBlank() ? null : key.trim();
    }

    /** Reads and discards a refused body (bounded), so the client sees the answer instead of a reset connection. */
    private static void drain(HttpExchange ex) {
        try (InputStream in = ex.getRequestBody()) {
            // Bounded: a body far over the limit is cut off and the connection closes instead.
            in.transferTo(new OutputStream() {
                long seen;

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    seen += len;
                    if (seen > 64L * 1024 * 1024) {
                        throw new IOException("refused body too large to drain");
                    }
                }
            });
        } catch (IOException e) {
            // the client gave up; nothing to answer
        }
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static ObjectNode json() {
        return LlmCallEventJson.mapper().createObjectNode();
    }

    private static ObjectNode error(String message) {
        return json().put("error", message);
    }

    private void respond(HttpExchange ex, int status, JsonNode body) throws IOException {
        Counter.builder("llm_audit_ingest_requests").tag("status", Integer.toString(status)).register(meters).increment();
        byte[] bytes = LlmCallEventJson.mapper().writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static UnaryOperator<String> hmacFunction(byte[] key) {
        if (key == null) {
            return s -> null;
        }
        SecretKeySpec spec = new SecretKeySpec(key, "HmacSHA256");
        return s -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(spec);
                return HexFormat.of().formatHex(mac.doFinal(s.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException | InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Override
    public void close() {
        server.stop(1);
        readiness.shutdownNow();
        executor.shutdownNow();
        TransactionalWriter w;
        while ((w = writers.poll()) != null) {
            w.close();
        }
        admin.close(Duration.ofSeconds(2));
        meters.close();
    }
}
