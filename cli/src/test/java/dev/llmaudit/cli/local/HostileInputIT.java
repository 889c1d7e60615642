package dev.llmaudit.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.jobs.PricedCalls;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.engine.Replay;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline (in-JVM broker and registry, the gateway, the enforcer, the rollups job) under
 * hostile input, as a careless or hostile client would send it: over HTTP, and as Avro-valid records
 * written straight to the topics by another writer. Every bad input gets a bounded 4xx or a dead letter
 * naming its reason; nothing stops a job; clean events after it are priced and rolled up, and the money
 * (priced costs, budgets, rollups) excludes the poison exactly. The figures printed here are the ones
 * in the README's table of hostile inputs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {
    static final Path BUNDLE = Path.of("..", "policies", "bundle");
    /** Answers to hostile requests are at most this long. */
    static final int MAX_ANSWER = 4096;

    LocalStack stack;
    String key;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final PolicyEngine engine = new PolicyEngine(BundleLoader.load(BUNDLE).bundle());
    /** Every event that should be priced (accepted over HTTP or written clean), by id. */
    final Map<String, LlmCallEvent> clean = new LinkedHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        stack = LocalStack.start(new LocalStack.Options(dir.resolve("work"), 0, 0, 0, BUNDLE), line -> { });
        key = stack.apiKeys.get("acme");
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    String now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }

    String event(String id, String extra) {
        return "{\"event_id\":\"" + id + "\",\"event_time\":\"" + now() + "\",\"team\":\"claims\",\"cloud\":\"azure\","
                + "\"region\":\"swedencentral\",\"deployment_scope\":\"data_zone\",\"request_model\":\"gpt-5.5\",\"input_tokens\":1000,"
                + "\"output_tokens\":200" + extra + "}";
    }

    HttpResponse<String> post(byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.gateway.port() + "/v1/events"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key);
        for (int i = 0; i < headers.length; i += 2) {
            b.setHeader(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String body, String... headers) throws Exception {
        return post(body.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** Accepts a clean event over HTTP and remembers it as one that must be priced. */
    void acceptClean(String id) throws Exception {
        String json = event(id, "");
        HttpResponse<String> r = post(json);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        LlmCallEvent e = LlmCallEventJson.parseOrThrow(json);
        e.setTenant("acme");
        clean.put(id, e);
    }

    record Hostile(String name, Supplier<HttpResponse<String>> send, int status, String says) {}

    interface Call {
        HttpResponse<String> send() throws Exception;
    }

    static Supplier<HttpResponse<String>> unchecked(Call c) {
        return () -> {
            try {
                return c.send();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    static byte[] gzip(byte[] data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    @Test
    @Order(1)
    void hostileHttpGetsBoundedAnswersAndTheGatewayKeepsAnswering() throws Exception {
        // Slow connections: each sends one byte of a request and then nothing.
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket("127.0.0.1", stack.gateway.port());
                s.getOutputStream().write('P');
                slow.add(s);
            }
            long t0 = System.nanoTime();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.gateway.adminPort() + "/healthz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            long healthMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(health.statusCode()).isEqualTo(200);
            long t1 = System.nanoTime();
            acceptClean("http-clean-during-slow");
            long postMs = (System.nanoTime() - t1) / 1_000_000;
            System.out.printf("[hostile] 200 slow connections open: /healthz answered in %d ms, a valid POST in %d ms%n", healthMs, postMs);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }

        String huge = "x".repeat(70_000);
        StringBuilder tags = new StringBuilder("{");
        for (int i = 0; i < 5000; i++) {
            tags.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        tags.append('}');
        StringBuilder tooMany = new StringBuilder();
        for (int i = 0; i < 10_001; i++) {
            tooMany.append("{\"event_id\":\"m").append(i).append("\",\"event_time\":\"").append(now()).append("\"}\n");
        }
        byte[] bomb = gzip(new byte[100 * 1024 * 1024]);
        List<Hostile> cases = List.of(
                new Hostile("tokens of 9.2e18", unchecked(() -> post(event("h1", ",\"cached_input_tokens\":9200000000000000000"))), 400,
                        "\"field\":\"cached_input_tokens\",\"message\":\"must be <= 1000000000, got 9200000000000000000\""),
                new Hostile("2^52 input and output tokens", unchecked(() -> post(event("h2", "").replace("1000,", "4503599627370496,")
                        .replace("\"output_tokens\":200", "\"output_tokens\":4503599627370496"))), 400, "must be <= 1000000000, got 4503599627370496"),
                new Hostile("cost 1e-20000000", unchecked(() -> post(event("h3", ",\"reported_cost\":{\"amount\":\"1e-20000000\",\"currency\":\"USD\"}"))),
                        400, "at most 12 decimal places, got 1E-20000000 (1 digits)"),
                new Hostile("cost 1e999999999", unchecked(() -> post(event("h4", ",\"reported_cost\":{\"amount\":1e999999999,\"currency\":\"USD\"}"))),
                        400, "at most 12 integer digits, got 1E+999999999 (1 digits)"),
                new Hostile("26-digit cost", unchecked(() -> post(event("h5", ",\"reported_cost\":{\"amount\":\"12345678901234567890123456\",\"currency\":\"USD\"}"))),
                        400, "at most 12 integer digits, got 12345678901234567890123456"),
                new Hostile("event dated 2100", unchecked(() -> post(event("h6", "").replaceFirst("\"event_time\":\"[^\"]+\"", "\"event_time\":\"2100-01-01T00:00:00Z\""))),
                        400, "must not be in the future: 2100-01-01T00:00:00Z"),
                new Hostile("event dated 9999", unchecked(() -> post(event("h7", "").replaceFirst("\"event_time\":\"[^\"]+\"", "\"event_time\":\"9999-12-31T23:59:59Z\""))),
                        400, "must not be in the future: 9999-12-31T23:59:59Z"),
                new Hostile("event dated 1970", unchecked(() -> post(event("h8", "").replaceFirst("\"event_time\":\"[^\"]+\"", "\"event_time\":\"1970-01-01T00:00:00Z\""))),
                        400, "must not be before 2015-01-01T00:00:00Z"),
                new Hostile("event 40 days old", unchecked(() -> post(event("h9", "").replaceFirst("\"event_time\":\"[^\"]+\"",
                        "\"event_time\":\"" + Instant.now().minus(Duration.ofDays(40)).truncatedTo(ChronoUnit.SECONDS) + "\""))), 400, "too old:"),
                new Hostile("70 KB string", unchecked(() -> post(event("h10", ",\"app\":\"" + huge + "\""))), 400,
                        "\"field\":\"app\",\"message\":\"must be at most 256 characters, got 70000\""),
                new Hostile("70 KB field name", unchecked(() -> post(event("h11", ",\"" + huge + "\":1"))), 400, "exceeds the maximum allowed (1024"),
                new Hostile("5,000 tags", unchecked(() -> post(event("h12", ",\"tags\":" + tags))), 400, "at most 64 tags, got 5000"),
                new Hostile("nesting 5,000 deep", unchecked(() -> post("{\"event_id\":\"h13\",\"tags\":" + "[".repeat(5000) + "]".repeat(5000) + "}")),
                        400, "malformed JSON"),
                new Hostile("5 MB of blank lines", unchecked(() -> post("\n".repeat(5 * 1024 * 1024), "Content-Type", "application/x-ndjson")), 400,
                        "empty body: send one event"),
                new Hostile("10,001 events", unchecked(() -> post(tooMany.toString(), "Content-Type", "application/x-ndjson")), 413,
                        "10001 events in one request; at most 10000 are accepted"),
                new Hostile("gzip bomb (100 MB of zeros)", unchecked(() -> post(bomb, "Content-Encoding", "gzip")), 413,
                        "once decompressed (gzip)"),
                new Hostile("20 KB header", unchecked(() -> post(event("h14", ""), "X-Padding", "p".repeat(20_000))), 431, ""),
                new Hostile("4 KB API key", unchecked(() -> post(event("h15", ""), "Authorization", "Bearer " + "k".repeat(4000))), 401,
                        "unknown API key (4000 characters; keys are 47)"),
                new Hostile("LiteLLM payload with endTime and cost 1e999999999", unchecked(() -> post(
                        "{\"id\":\"ll-h\",\"call_type\":\"completion\",\"model\":\"openai/gpt-5.5\",\"endTime\":1e999999999,\"response_cost\":1e999999999}")),
                        400, "is not epoch seconds"));
        for (Hostile h : cases) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = h.send().get();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.statusCode()).as(h.name() + ": " + r.body()).isEqualTo(h.status());
            assertThat(r.body()).as(h.name()).contains(h.says());
            assertThat(r.body().length()).as(h.name() + " answer length").isLessThanOrEqualTo(MAX_ANSWER);
            assertThat(r.body()).as(h.name()).doesNotContain("x".repeat(200));
            System.out.printf("[hostile] %-50s -> %d, %d-byte answer, %d ms%n", h.name(), r.statusCode(), r.body().length(), ms);
        }

        acceptClean("http-clean-after");
        awaitPriced();
    }

    @Test
    @Order(2)
    void poisonRecordsOnTheEventsTopicAreDeadLetteredAndTheMoneyExcludesThem() throws Exception {
        Map<String, LlmCallEvent> poison = new LinkedHashMap<>();
        LlmCallEvent tenant = cleanEvent("poison-tenant");
        tenant.setTenant("t".repeat(70_000));
        poison.put("$: the record is", tenant);
        LlmCallEvent cost = cleanEvent("poison-cost");
        cost.setReportedCost(Money.newBuilder().setAmount(new BigDecimal("12345678901234567890123456.000000000000")).setCurrency("USD").build());
        poison.put("reported_cost.amount: at most 12 integer digits", cost);
        LlmCallEvent tokens = cleanEvent("poison-tokens");
        tokens.setInputTokens(1L << 52);
        tokens.setOutputTokens(1L << 52);
        poison.put("input_tokens: must be between 0 and 1000000000, got 4503599627370496", tokens);
        LlmCallEvent future = cleanEvent("poison-future");
        future.setEventTime(Instant.parse("2100-01-01T00:00:00Z"));
        poison.put("event_time: must not be in the future: 2100-01-01T00:00:00Z", future);
        LlmCallEvent cached = cleanEvent("poison-cached");
        cached.setCachedInputTokens(-5L);
        poison.put("cached_input_tokens: must be between 0 and 1000000000, got -5", cached);
        LlmCallEvent manyTags = cleanEvent("poison-tags");
        Map<String, String> t = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            t.put("k" + i, "v");
        }
        manyTags.setTags(t);
        poison.put("tags: at most 64 tags, got 3000", manyTags);

        List<LlmCallEvent> after = List.of(cleanEvent("clean-after-poison-1"), cleanEvent("clean-after-poison-2"));
        try (KafkaProducer<String, LlmCallEvent> p = producer()) {
            for (LlmCallEvent e : poison.values()) {
                p.send(new ProducerRecord<>(stack.topics.events(), e.getEventId(), e)).get();
            }
            for (LlmCallEvent e : after) {
                p.send(new ProducerRecord<>(stack.topics.events(), e.getEventId(), e)).get();
                clean.put(e.getEventId(), e);
            }
        }
        List<PricedLlmCall> priced = awaitPriced();
        assertThat(priced).extracting(x -> x.getEvent().getEventId()).doesNotContainAnyElementsOf(
                poison.values().stream().map(LlmCallEvent::getEventId).toList());

        // Each poison record is a dead letter naming its reason, exactly once.
        List<DeadLetter> dead = read(stack.topics.dlq(), DeadLetter.class);
        for (Map.Entry<String, LlmCallEvent> e : poison.entrySet()) {
            String id = e.getValue().getEventId();
            List<DeadLetter> mine = dead.stream().filter(d -> d.getOriginalKey() != null
                    && StandardCharsets.UTF_8.decode(d.getOriginalKey().duplicate()).toString().equals(id)).toList();
            assertThat(mine).as(id).singleElement().satisfies(d -> {
                assertThat(d.getStage()).isEqualTo("validate");
                assertThat(d.getErrorClass()).isEqualTo("OutOfBounds");
                assertThat(d.getErrorMessage()).startsWith(e.getKey()).hasSizeLessThanOrEqualTo(2003);
                assertThat(d.getSourceTopic()).isEqualTo(stack.topics.events());
                assertThat(d.getSourceOffset()).isNotNull();
            });
        }
        assertThat(stack.enforcer.state()).isEqualTo(KafkaStreams.State.RUNNING);

        // Money: the priced costs and every budget equal what the engine computes for the clean events alone.
        BigDecimal expected = BigDecimal.ZERO;
        List<LlmCall> calls = new ArrayList<>();
        for (LlmCallEvent e : clean.values()) {
            LlmCall c = LlmCalls.from(e);
            calls.add(c);
            expected = expected.add(engine.evaluate(c).pricing().total());
        }
        assertThat(priced.stream().map(x -> x.getCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add)).isEqualByComparingTo(expected);
        Map<String, BudgetLedger.State> ledger = Replay.run(engine, calls.stream().sorted(java.util.Comparator.comparing(LlmCall::eventTime)).toList(),
                null).budgets();
        assertThat(ledger).isNotEmpty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Map<String, BigDecimal> spent;
        do {
            spent = new HashMap<>();
            for (var r : TopicReader.readAll(client(), registry(), stack.topics.budgetStatus(), BudgetStatus.class)) {
                spent.put(r.key(), r.value().getSpent().getAmount());
            }
            Thread.sleep(200);
        } while (!sameSpend(spent, ledger) && System.nanoTime() < deadline);
        assertThat(spent.keySet()).isEqualTo(ledger.keySet());
        for (var e : ledger.entrySet()) {
            assertThat(spent.get(e.getKey())).as(e.getKey()).isEqualByComparingTo(e.getValue().spent());
        }
    }

    static boolean sameSpend(Map<String, BigDecimal> spent, Map<String, BudgetLedger.State> ledger) {
        return spent.keySet().equals(ledger.keySet())
                && ledger.entrySet().stream().allMatch(e -> spent.get(e.getKey()).compareTo(e.getValue().spent()) == 0);
    }

    @Test
    @Order(3)
    void poisonPricedRecordsAreDeadLetteredByTheRollupsJobWhichFinishesWithExactTotals() throws Exception {
        List<PricedLlmCall> priced = awaitPriced();
        PricedLlmCall template = priced.get(0);
        Map<String, PricedLlmCall> poison = new LinkedHashMap<>();
        PricedLlmCall future = PricedLlmCall.newBuilder(template).setEvent(LlmCallEvent.newBuilder(template.getEvent())
                .setEventId("priced-future").setEventTime(Instant.parse("2100-01-01T00:00:00Z")).build()).build();
        poison.put("event_time: must not be in the future", future);
        PricedLlmCall tokens = PricedLlmCall.newBuilder(template).setEvent(LlmCallEvent.newBuilder(template.getEvent())
                .setEventId("priced-tokens").setInputTokens(1L << 52).setOutputTokens(1L << 52).build())
                .setCost(Money.newBuilder().setAmount(new BigDecimal("321000000000000.000000000000")).setCurrency("USD").build()).build();
        poison.put("input_tokens: must be between 0 and 1000000000", tokens);
        PricedLlmCall reported = PricedLlmCall.newBuilder(template).setEvent(LlmCallEvent.newBuilder(template.getEvent())
                .setEventId("priced-reported").setReportedCost(Money.newBuilder()
                        .setAmount(new BigDecimal("99999999999999999999999999.000000000000")).setCurrency("USD").build()).build()).build();
        poison.put("reported_cost.amount: at most 12 integer digits", reported);
        try (KafkaProducer<String, PricedLlmCall> p = new KafkaProducer<>(client(), new StringSerializer(),
                new ConfluentAvroSerializer<>(registry(), true))) {
            for (PricedLlmCall x : poison.values()) {
                p.send(new ProducerRecord<>(stack.topics.priced(), x.getEvent().getEventId(), x)).get();
            }
        }

        stack.startRollups(true);
        stack.rollups.getJobExecutionResult().get(180, TimeUnit.SECONDS);   // finished, not failing and restarting
        stack.rollups = null;

        List<DeadLetter> dead = read(stack.topics.dlq(), DeadLetter.class).stream()
                .filter(d -> stack.topics.priced().equals(d.getSourceTopic())).toList();
        for (Map.Entry<String, PricedLlmCall> e : poison.entrySet()) {
            String id = e.getValue().getEvent().getEventId();
            assertThat(dead).as(id).filteredOn(d -> StandardCharsets.UTF_8.decode(d.getOriginalKey().duplicate()).toString().equals(id))
                    .singleElement().satisfies(d -> {
                        assertThat(d.getStage()).isEqualTo("rollups-validate");
                        assertThat(d.getErrorMessage()).contains(e.getKey());
                    });
        }

        BigDecimal expected = priced.stream().map(x -> x.getCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add);
        List<UsageRollup> latest = TopicReader.latestPerKey(TopicReader.readAll(client(), registry(),
                dev.llmaudit.jobs.PipelineTopics.defaults().rollups(), UsageRollup.class));
        for (String g : List.of("hour", "day")) {
            List<UsageRollup> of = latest.stream().filter(r -> r.getXGranularity().name().equals(g)).toList();
            assertThat(of.stream().mapToLong(UsageRollup::getXRequestCount).sum()).as(g + " calls").isEqualTo(priced.size());
            assertThat(of.stream().map(r -> r.getListCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add)).as(g + " cost")
                    .isEqualByComparingTo(expected);
        }
    }

    LlmCallEvent cleanEvent(String id) {
        return LlmCallEvent.newBuilder().setEventId(id).setEventTime(Instant.now().truncatedTo(ChronoUnit.MILLIS)).setTenant("acme")
                .setTeam("claims").setCloud(Cloud.azure).setRegion("swedencentral")
                .setDeploymentScope(dev.llmaudit.avro.DeploymentScope.data_zone).setRequestModel("gpt-5.5").setInputTokens(1000L)
                .setOutputTokens(200L).build();
    }

    Properties client() {
        Properties p = new Properties();
        p.put("bootstrap.servers", stack.bootstrapServers());
        return p;
    }

    SchemaRegistryClient registry() {
        return new SchemaRegistryClient(RegistryConfig.of(stack.registryUrl()));
    }

    KafkaProducer<String, LlmCallEvent> producer() {
        return new KafkaProducer<>(client(), new StringSerializer(), new ConfluentAvroSerializer<>(registry(), true));
    }

    <T> List<T> read(String topic, Class<T> type) {
        return TopicReader.readAll(client(), registry(), topic, type).stream().map(r -> r.value()).toList();
    }

    /** Waits until every clean event so far is priced; returns the whole priced topic (read to its end offsets). */
    List<PricedLlmCall> awaitPriced() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<PricedLlmCall> priced;
        do {
            priced = read(stack.topics.priced(), PricedLlmCall.class);
            if (priced.stream().map(p -> p.getEvent().getEventId()).toList().containsAll(clean.keySet())) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        assertThat(priced).extracting(p -> p.getEvent().getEventId()).containsExactlyInAnyOrderElementsOf(clean.keySet());
        return priced;
    }
}
