package dev.llmaudit.ingest.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.JsonToken;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.http.Exchange;
import dev.llmaudit.http.HttpService;
import dev.llmaudit.http.Routes;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.FieldError;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
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
 * <p>{@code POST /v1/traces} takes OTLP/HTTP trace exports (protobuf or JSON) and writes one event per
 * GenAI model-call span ({@link OtlpTraces}); invalid spans are reported in the OTLP partial success.
 *
 * <p>{@code POST /v1/events} takes one canonical JSON event, a JSON array of them, or NDJSON (one
 * per line), and also LiteLLM's {@code StandardLoggingPayload} in its single, json_array and ndjson
 * forms. The tenant of every event is the API key's tenant; an event claiming another is refused.
 * A request is all-or-nothing: if any item is invalid the answer is 400 with a result per item and
 * nothing is written; otherwise all items are written in one Kafka transaction and the answer is
 * 202 only after the commit (consumers read with {@code isolation.level=read_committed}). 413 for
 * bodies over the limit (also once gzip-decoded) or too many events, 415 for other content types or
 * encodings, 401 for missing or unknown keys, 503 with Retry-After when overloaded or when Kafka does
 * not acknowledge in time. The API key is checked from the headers alone, before any body is read.
 *
 * <p>On the separate admin listener: {@code GET /healthz} (process up), {@code GET /readyz} (Kafka
 * reachable), {@code GET /metrics} (Prometheus). The HTTP server is the shared one of the http module
 * (timeouts, connection and header limits, bounded bodies, TLS).
 */
public final class IngestGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestGateway.class);

    private final GatewayConfig config;
    private final ApiKeys keys;
    private final HttpService server;
    private final Semaphore inFlight;
    private final BlockingQueue<TransactionalWriter> writers;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer requestTimer;
    private final Counter accepted;
    private final Counter rejected;
    private final Counter otlpIgnored;
    private final Admin admin;
    private final UnaryOperator<String> hmac;
    private volatile boolean kafkaReady;
    private final java.util.concurrent.ScheduledExecutorService readiness;

    private IngestGateway(GatewayConfig config, ApiKeys keys) {
        this.config = config;
        this.keys = keys;
        this.inFlight = new Semaphore(config.maxInFlight());
        this.requestTimer = Timer.builder("llm_audit_ingest_request").description("POST /v1/events and /v1/traces handling time")
                .publishPercentileHistogram().register(meters);
        this.accepted = Counter.builder("llm_audit_ingest_events").tag("result", "accepted").register(meters);
        this.rejected = Counter.builder("llm_audit_ingest_events").tag("result", "rejected").register(meters);
        this.otlpIgnored = Counter.builder("llm_audit_ingest_otlp_spans_ignored").description("OTLP spans that are not model calls")
                .register(meters);
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
        Routes api = Routes.builder().post("/v1/events", this::events).post("/v1/traces", this::traces)
                .notFound("not found: POST /v1/events or POST /v1/traces (health, readiness and metrics are on the admin port)").build();
        Routes adminRoutes = Routes.builder()
                .get("/healthz", ex -> ex.json(200, "{\"status\":\"ok\"}"))
                .get("/readyz", ex -> ex.json(kafkaReady ? 200 : 503, json().put("status", kafkaReady ? "ready"
                        : "kafka unreachable at " + config.bootstrapServers()).toString()))
                .get("/metrics", ex -> ex.respond(200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape()))
                .notFound("not found: GET /healthz, /readyz or /metrics").build();
        this.server = HttpService.start(new HttpService.Listener(config.listener(), api), new HttpService.Listener(config.admin(), adminRoutes));
        Gauge.builder("llm_audit_http_slow_head_closed", server, h -> h.stats().slowHeadClosed())
                .description("Connections closed for not sending a request head in time").register(meters);
        Gauge.builder("llm_audit_http_decompression_bombs", server, h -> h.stats().decompressionBombs())
                .description("gzip bodies refused for their decompressed size").register(meters);
        this.readiness = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-readiness");
            t.setDaemon(true);
            return t;
        });
        checkKafka();
        readiness.scheduleWithFixedDelay(this::checkKafka, 5, 5, TimeUnit.SECONDS);
        LOG.info("Ingest gateway listening on {}://{}:{}/v1/events, admin on :{} ({} API keys, topic {})",
                config.listener().tls() == null ? "http" : "https", config.listener().host(), port(), adminPort(), keys.size(), config.topic());
    }

    /**
     * @throws IllegalStateException naming the address when a port is taken or TLS cannot be set up
     */
    public static IngestGateway start(GatewayConfig config, ApiKeys keys) {
        return new IngestGateway(config, keys);
    }

    /** The port of {@code POST /v1/events}. */
    /** Requests holding an in-flight slot now (tests wait for a slow request to hold one). */
    int requestsInFlight() {
        return config.maxInFlight() - inFlight.availablePermits();
    }

    public int port() {
        return server.port(config.listener().name());
    }

    /** The port of /healthz, /readyz and /metrics. */
    public int adminPort() {
        return server.port(config.admin().name());
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

    /** API keys are 47 characters; anything far longer is refused without hashing it. */
    static final int MAX_API_KEY_LENGTH = 512;
    /** Rejected items whose errors are listed in a 400 answer; the rest are counted, so the answer stays bounded. */
    static final int MAX_DETAILED_REJECTIONS = 100;

    /** The tenant of the request's API key; null after answering 401. */
    private String tenantOf(Exchange ex) {
        String key = presentedKey(ex);
        if (key == null) {
            refuse(ex, 401, "missing API key: send \"Authorization: Bearer <key>\" (or X-API-Key)");
            return null;
        }
        if (key.length() > MAX_API_KEY_LENGTH) {
            refuse(ex, 401, "unknown API key (" + key.length() + " characters; keys are 47)");
            return null;
        }
        String tenant = keys.tenantOf(key).orElse(null);
        if (tenant == null) {
            refuse(ex, 401, "unknown API key");
        }
        return tenant;
    }

    /** Takes an in-flight slot and releases it when the exchange is answered; false after answering 503. */
    private boolean admit(Exchange ex) {
        if (!inFlight.tryAcquire()) {
            ex.header("Retry-After", "1");
            refuse(ex, 503, "overloaded: too many requests in flight; retry after 1 second");
            return false;
        }
        Timer.Sample sample = Timer.start(meters);
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        ex.onAnswered(() -> {
            if (released.compareAndSet(false, true)) {
                inFlight.release();
                sample.stop(requestTimer);
            }
        });
        return true;
    }

    private void events(Exchange ex) {
        String tenant = tenantOf(ex);
        if (tenant == null) {
            return;
        }
        String type = ex.header("Content-Type");
        String mediaType = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
        boolean ndjson = mediaType.equals("application/x-ndjson") || mediaType.equals("application/jsonl")
                || mediaType.equals("application/json-lines") || mediaType.equals("application/ndjson");
        if (!ndjson && !mediaType.equals("application/json")) {
            refuse(ex, 415, "unsupported Content-Type \"" + EventBounds.excerpt(type == null ? "" : type)
                    + "\": send application/json (one event or an array) or application/x-ndjson (one event per line)");
            return;
        }
        if (!admit(ex)) {
            return;
        }
        ex.readBody(config.maxBodyBytes(), body -> handleBatch(ex, tenant, ndjson, body));
    }

    // ------------------------------------------------------------------ POST /v1/traces (OTLP/HTTP)

    /** Most errors quoted in an OTLP partial_success message; the rest are counted. */
    static final int MAX_OTLP_ERRORS = 10;

    private void traces(Exchange ex) {
        String tenant = tenantOf(ex);
        if (tenant == null) {
            return;
        }
        String type = ex.header("Content-Type");
        String mediaType = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
        boolean protobuf = mediaType.equals("application/x-protobuf");
        if (!protobuf && !mediaType.equals("application/json")) {
            refuse(ex, 415, "unsupported Content-Type \"" + EventBounds.excerpt(type == null ? "" : type)
                    + "\": OTLP/HTTP sends application/x-protobuf or application/json");
            return;
        }
        if (!admit(ex)) {
            return;
        }
        ex.readBody(config.maxBodyBytes(), body -> handleTraces(ex, tenant, protobuf, body));
    }

    /**
     * One event per model-call span; other spans are counted and ignored. Valid events are written in one
     * transaction; spans that do not make a valid event are reported in the answer's partial_success (OTLP
     * clients do not retry those), a body that is not OTLP at all is 400, a Kafka failure 503.
     */
    private void handleTraces(Exchange ex, String tenant, boolean protobuf, byte[] body) {
        List<OtlpTraces.Span> spans;
        try {
            // Counted before anything is built: a small gzip body can hold millions of empty spans.
            long count = OtlpTraces.countSpans(body, protobuf);
            if (count > config.maxEventsPerRequest()) {
                reject(ex, 413, count + " spans in one request; at most " + config.maxEventsPerRequest()
                        + " are accepted; lower the exporter's batch size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)");
                return;
            }
            spans = protobuf ? OtlpTraces.fromProtobuf(body) : OtlpTraces.fromJson(LlmCallEventJson.mapper().readTree(body));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            reject(ex, 400, "not an OTLP ExportTraceServiceRequest in protobuf: " + EventBounds.excerpt(String.valueOf(e.getMessage())));
            return;
        } catch (JsonProcessingException e) {
            reject(ex, 400, LlmCallEventJson.describeMalformed(e));
            return;
        } catch (java.io.IOException e) {
            reject(ex, 400, "unreadable body: " + EventBounds.excerpt(String.valueOf(e.getMessage())));
            return;
        } catch (IllegalArgumentException e) {
            reject(ex, 400, "not an OTLP ExportTraceServiceRequest in " + (protobuf ? "protobuf: " : "JSON: ")
                    + EventBounds.excerpt(String.valueOf(e.getMessage())));
            return;
        }
        EventBounds.TimeWindow window = new EventBounds.TimeWindow(java.time.Instant.now(), config.futureSkew(), config.maxAge());
        List<LlmCallEvent> events = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        int refused = 0;
        int ignored = 0;
        java.util.Set<String> wrappers = OtlpTraces.wrappers(spans);
        for (OtlpTraces.Span span : spans) {
            if (!OtlpTraces.isModelCall(span) || wrappers.contains(span.traceId() + "/" + span.spanId())) {
                ignored++;
                continue;
            }
            if (span.problem() != null) {
                refused++;
                if (errors.size() < MAX_OTLP_ERRORS) {
                    errors.add("span " + EventBounds.excerpt(span.traceId()) + "/" + EventBounds.excerpt(span.spanId()) + ": " + span.problem());
                }
                continue;
            }
            ObjectNode node = OtlpTraces.toCanonical(span, hmac);
            List<FieldError> problems = new ArrayList<>();
            JsonNode claimed = node.get("tenant");
            if (claimed != null && !claimed.asText().equals(tenant)) {
                problems.add(new FieldError("tenant", "this API key belongs to tenant " + tenant + "; the span claims "
                        + EventBounds.quote(claimed.asText())));
            }
            node.put("tenant", tenant);
            EventParseResult parsed = LlmCallEventJson.fromNode(node, window);
            problems.addAll(parsed.errors());
            if (problems.isEmpty()) {
                events.add(parsed.event());
            } else {
                refused++;
                if (errors.size() < MAX_OTLP_ERRORS) {
                    errors.add("span " + span.traceId() + "/" + span.spanId() + ": " + EventBounds.cap(problems).stream()
                            .map(FieldError::toString).collect(java.util.stream.Collectors.joining("; ")));
                }
            }
        }
        otlpIgnored.increment(ignored);
        if (!events.isEmpty()) {
            String failure = write(events);
            if (failure != null) {
                ex.header("Retry-After", "5");
                reject(ex, 503, "spans not written: " + failure + "; nothing was written, retry after 5 seconds");
                return;
            }
            accepted.increment(events.size());
        }
        rejected.increment(refused);
        String message = refused == 0 ? "" : refused + " GenAI spans refused" + (refused > errors.size() ? " (first " + errors.size() + " listed)" : "")
                + ": " + String.join(" | ", errors);
        count(200);
        if (protobuf) {
            var response = io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.newBuilder();
            if (refused > 0) {
                response.setPartialSuccess(io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess.newBuilder()
                        .setRejectedSpans(refused).setErrorMessage(message));
            }
            ex.respond(200, "application/x-protobuf", response.build().toByteArray());
        } else {
            ObjectNode answer = json().objectNode();
            if (refused > 0) {
                answer.putObject("partialSuccess").put("rejectedSpans", Integer.toString(refused)).put("errorMessage", message);
            }
            ex.json(200, answer.toString());
        }
    }

    /** Refuses before the body is used: the body is drained (bounded) so the client sees the answer. */
    private void refuse(Exchange ex, int status, String message) {
        count(status);
        ex.refuse(status, Exchange.error(message));
    }

    private void reject(Exchange ex, int status, String message) {
        count(status);
        ex.json(status, Exchange.error(message));
    }

    private void count(int status) {
        Counter.builder("llm_audit_ingest_requests").tag("status", Integer.toString(status)).register(meters).increment();
    }

    private void answer(Exchange ex, int status, JsonNode body) {
        count(status);
        ex.json(status, body.toString());
    }

    private void handleBatch(Exchange ex, String tenant, boolean ndjson, byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            reject(ex, 400, "body is not valid UTF-8 text");
            return;
        }
        if (text.isBlank()) {
            reject(ex, 400, "empty body: send one event, an array of events, or one event per line");
            return;
        }
        List<Item> items;
        try {
            boolean lines = ndjson || looksLikeNdjson(text);
            int count = lines ? countLines(text) : countJson(text);
            // Counted before anything is parsed into trees: a huge batch costs one scan, not a parse.
            if (count > config.maxEventsPerRequest()) {
                reject(ex, 413, count + " events in one request; at most " + config.maxEventsPerRequest() + " are accepted; send smaller batches");
                return;
            }
            items = lines ? ndjsonItems(text) : jsonItems(text);
        } catch (JsonProcessingException e) {
            reject(ex, 400, LlmCallEventJson.describeMalformed(e));
            return;
        }
        if (items.isEmpty()) {
            reject(ex, 400, "no events in the body: send one event, an array of events, or one event per line");
            return;
        }
        EventBounds.TimeWindow window = new EventBounds.TimeWindow(java.time.Instant.now(), config.futureSkew(), config.maxAge());
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
                        errors.add(new FieldError("tenant", "this API key belongs to tenant " + tenant + "; the event claims "
                                + EventBounds.quote(claimed.asText()) + " (leave tenant out: it is set from the key)"));
                    }
                    ((ObjectNode) node).put("tenant", tenant);
                }
                EventParseResult parsed = LlmCallEventJson.fromNode(node, window);
                errors.addAll(parsed.errors());
                event = errors.isEmpty() ? parsed.event() : null;
            }
            if (event != null) {
                events.add(event);
                r.put("event_id", event.getEventId()).put("status", "valid");
            } else {
                bad++;
                r.put("status", "rejected");
                if (bad <= MAX_DETAILED_REJECTIONS) {
                    ArrayNode errs = r.putArray("errors");
                    for (FieldError fe : EventBounds.cap(errors)) {
                        errs.addObject().put("field", fe.field()).put("message", fe.message());
                    }
                }
            }
        }
        if (bad > 0) {
            rejected.increment(items.size());
            ObjectNode answer = json().put("error", bad + " of " + items.size() + " events are invalid; nothing was written. "
                    + "Fix the rejected items and send the request again.").put("accepted", 0);
            if (bad > MAX_DETAILED_REJECTIONS) {
                answer.put("errors_omitted", bad - MAX_DETAILED_REJECTIONS + " rejected items beyond the first "
                        + MAX_DETAILED_REJECTIONS + " are listed without their errors");
            }
            answer.set("results", results);
            answer(ex, 400, answer);
            return;
        }
        String failure = write(events);
        if (failure != null) {
            ex.header("Retry-After", "5");
            reject(ex, 503, "events not written: " + failure + "; nothing was written, retry after 5 seconds");
            return;
        }
        accepted.increment(events.size());
        results.forEach(r -> ((ObjectNode) r).put("status", "accepted"));
        answer(ex, 202, json().put("accepted", events.size()).set("results", results));
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

    /** Top-level values of a JSON document: the elements of an array, else 1. Skips over values without building them. */
    static int countJson(String text) throws JsonProcessingException {
        try (JsonParser p = LlmCallEventJson.mapper().createParser(text)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_ARRAY) {
                return 1;
            }
            int n = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (p.currentToken() == null) {
                    break; // truncated: the real parse reports it
                }
                p.skipChildren();
                n++;
            }
            return n;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Non-blank lines, counted without copying any (a body of blank lines costs one scan). */
    static int countLines(String text) {
        int n = 0;
        int pos = 0;
        int len = text.length();
        while (pos <= len) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? len : nl;
            if (!blank(text, pos, end)) {
                n++;
            }
            if (nl < 0) {
                break;
            }
            pos = nl + 1;
        }
        return n;
    }

    private static boolean blank(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
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
        int line = 0;
        int pos = 0;
        int len = text.length();
        while (pos <= len) {
            line++;
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? len : nl;
            if (!blank(text, pos, end)) {
                String content = text.substring(pos, end > pos && text.charAt(end - 1) == '\r' ? end - 1 : end);
                try {
                    items.add(new Item(line, LlmCallEventJson.mapper().readTree(content), null));
                } catch (JsonProcessingException e) {
                    items.add(new Item(line, null, LlmCallEventJson.describeMalformed(e)));
                }
            }
            if (nl < 0) {
                break;
            }
            pos = nl + 1;
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

    private static String presentedKey(Exchange ex) {
        String auth = ex.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        String key = ex.header("X-API-Key");
        return key == null || key.isBlank() ? null : key.trim();
    }

    private static ObjectNode json() {
        return LlmCallEventJson.mapper().createObjectNode();
    }

    private static ObjectNode error(String message) {
        return json().put("error", message);
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
        server.close();
        readiness.shutdownNow();
        TransactionalWriter w;
        while ((w = writers.poll()) != null) {
            w.close();
        }
        admin.close(Duration.ofSeconds(2));
        meters.close();
    }
}
