package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.PipelineTopics;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.PricingStatus;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology driven by TopologyTestDriver. The schema registry is the real embedded one (it keeps
 * its schemas on the test broker); the topology itself runs in the driver.
 */
@ExtendWith(KafkaClusterExtension.class)
class EnforcementTopologyTest {
    static final Path BUNDLE = Path.of("..", "..", "policies", "bundle");
    static final PipelineTopics TOPICS = PipelineTopics.defaults();

    SchemaRegistryClient registry;
    TopologyTestDriver driver;
    TestInputTopic<String, byte[]> events;
    TestInputTopic<String, String> policies;
    TestOutputTopic<String, PricedLlmCall> priced;
    TestOutputTopic<String, PolicyViolation> violations;
    TestOutputTopic<String, BudgetStatus> budgets;
    TestOutputTopic<String, DeadLetter> dlq;
    ConfluentAvroSerializer<LlmCallEvent> serializer;

    EngineHolder engines;

    @BeforeEach
    void start(EmbeddedSchemaRegistry embedded, @TempDir Path state) {
        registry = new SchemaRegistryClient(RegistryConfig.of(embedded.url()));
        start(new EngineHolder(BundleLoader.load(BUNDLE).bundle()), state);
    }

    /** (Re)builds the driver on these engines, with the dead-letter handlers the enforcer runs with. */
    void start(EngineHolder engines, Path state) {
        if (driver != null) {
            driver.close();
        }
        this.engines = engines;
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "enforcer-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        DeadLetterHandlers.configure(props, new DeadLetterHandlers.Sink(TOPICS.dlq(), registry));
        driver = new TopologyTestDriver(EnforcementTopology.build(TOPICS, engines, registry, Duration.ofDays(7)), props);
        events = driver.createInputTopic(TOPICS.events(), new StringSerializer(), new ByteArraySerializer());
        policies = driver.createInputTopic(TOPICS.policies(), new StringSerializer(), new StringSerializer());
        priced = driver.createOutputTopic(TOPICS.priced(), new StringDeserializer(), new ConfluentAvroDeserializer<>(registry, PricedLlmCall.class));
        violations = driver.createOutputTopic(TOPICS.violations(), new StringDeserializer(), new ConfluentAvroDeserializer<>(registry, PolicyViolation.class));
        budgets = driver.createOutputTopic(TOPICS.budgetStatus(), new StringDeserializer(), new ConfluentAvroDeserializer<>(registry, BudgetStatus.class));
        dlq = driver.createOutputTopic(TOPICS.dlq(), new StringDeserializer(), new ConfluentAvroDeserializer<>(registry, DeadLetter.class));
        serializer = new ConfluentAvroSerializer<>(registry, true);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    void send(String json) {
        LlmCallEvent e = LlmCallEventJson.parseOrThrow(json);
        events.pipeInput(e.getEventId(), serializer.serialize(TOPICS.events(), e));
    }

    static String call(String id, String time, String extra) {
        return "{\"event_id\":\"" + id + "\",\"event_time\":\"" + time + "\",\"tenant\":\"acme-eu\",\"team\":\"claims\",\"environment\":\"dev\","
                + "\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"input_tokens\":1000,\"output_tokens\":200" + extra + "}";
    }

    static String azure(String id, String time, long outputTokens) {
        return "{\"event_id\":\"" + id + "\",\"event_time\":\"" + time + "\",\"tenant\":\"acme\",\"team\":\"search\",\"cloud\":\"azure\","
                + "\"region\":\"swedencentral\",\"deployment_scope\":\"data_zone\",\"request_model\":\"gpt-5.5\",\"input_tokens\":0,"
                + "\"output_tokens\":" + outputTokens + "}";
    }

    @Test
    void pricesEveryEventAndReportsAResidencyBreachWithAMessageSecurityCanAct() {
        send(call("e1", "2026-11-02T10:00:00Z", ",\"request_model\":\"global.anthropic.claude-sonnet-4-5-20250929-v1:0\",\"data_classification\":\"pii\""));

        PricedLlmCall p = priced.readValue();
        assertThat(p.getEvent().getEventId()).isEqualTo("e1");
        assertThat(p.getPricingStatus()).isEqualTo(PricingStatus.priced);
        assertThat(p.getCost().getAmount()).isEqualByComparingTo("0.006");   // 1000 x 3/M + 200 x 15/M (global profile)
        assertThat(p.getPriceEntry()).isEqualTo("aws/global/anthropic.claude-sonnet-4-5-20250929-v1:0@2026-07-01");
        assertThat(p.getBundleVersion()).isEqualTo("2026.11.1");
        assertThat(p.getCatalogVersion()).isEqualTo("bedrock-regions-2026-12-01+litellm-2026-07-01+overlay-2026-12-01");
        assertThat(p.getPriceBasis()).isEqualTo("published");
        assertThat(p.getPriceRule()).isNull();
        assertThat(p.getProcessingJurisdictions()).containsExactly("*");
        assertThat(p.getResidencyRequirement()).as("EU pii of an -eu tenant: decided here, counted downstream").containsExactly("eu");
        assertThat(p.getResidencyOk()).isFalse();

        List<PolicyViolation> found = violations.readValuesToList();
        PolicyViolation residency = found.stream().filter(v -> v.getPolicyId().equals("eu-pii-residency")).findFirst().orElseThrow();
        assertThat(residency.getMessage()).isEqualTo("pii processed via global inference profile global.anthropic.claude-sonnet-4-5-20250929-v1:0 "
                + "from eu-central-1; policy eu-pii-residency allows eu jurisdictions only; use the eu. profile "
                + "(eu.anthropic.claude-sonnet-4-5-20250929-v1:0) or the model in-region in eu-central-1");
        assertThat(residency.getBundleVersion()).isEqualTo("2026.11.1");
        assertThat(residency.getTenant()).isEqualTo("acme-eu");
        assertThat(p.getViolationIds()).contains(residency.getViolationId());
    }

    @Test
    void anInRegionCallIsPricedAtItsOwnScopeAndSaysTheRuleThatDerivedIt() {
        // Bare model id = in-region in eu-central-1; Claude 4.5+ regional is the global price x 1.10 (3.30 / 16.50 per M).
        send(call("r1", "2026-11-02T10:00:00Z", ",\"request_model\":\"anthropic.claude-sonnet-4-5-20250929-v1:0\""));
        PricedLlmCall p = priced.readValue();
        assertThat(p.getPricingStatus()).isEqualTo(PricingStatus.priced);
        assertThat(p.getCost().getAmount()).isEqualByComparingTo(new java.math.BigDecimal("1000").multiply(new java.math.BigDecimal("3.30"))
                .add(new java.math.BigDecimal("200").multiply(new java.math.BigDecimal("16.50"))).movePointLeft(6));
        assertThat(p.getPriceEntry()).isEqualTo("aws/regional/anthropic.claude-sonnet-4-5-20250929-v1:0@2026-07-01");
        assertThat(p.getPriceBasis()).isEqualTo("derived");
        assertThat(p.getPriceRule()).isEqualTo("bedrock-claude-4.5-and-later");
    }

    /** One budget flush interval (budget contributions are summed per budget within it). */
    void flushBudgets() {
        driver.advanceWallClockTime(EnforcementTopology.DEFAULT_BUDGET_FLUSH_INTERVAL);
    }

    @Test
    void callsSummedWithinAFlushIntervalCrossEachThresholdOnceAttributedToTheLastOfThem() {
        // 1,023 + 1,023 + 33 USD of a 2,000 USD budget in one interval: 50, 80 and 100 % are crossed by the sum, once each.
        send(azure("s1", "2026-11-03T09:00:00Z", 31_000_000));
        send(azure("s2", "2026-11-04T09:00:00Z", 31_000_000));
        send(azure("s3", "2026-11-05T09:00:00Z", 1_000_000));
        assertThat(violations.readValuesToList()).as("nothing crosses before the flush").noneMatch(v -> v.getPolicyId().equals("team-monthly-by-cloud"));
        flushBudgets();
        assertThat(violations.readValuesToList()).filteredOn(v -> v.getPolicyId().equals("team-monthly-by-cloud"))
                .extracting(v -> v.getEventId() + ":" + v.getDetails().get("threshold_percent") + ":" + v.getDetails().get("spent"))
                .containsExactly("s3:50:2079", "s3:80:2079", "s3:100:2079");
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(budgets.readValuesToList()).filteredOn(b -> b.getBudgetId().equals("team-monthly-by-cloud")).singleElement()
                .satisfies(b -> assertThat(b.getSpent().getAmount()).isEqualByComparingTo("2079"));
    }

    @Test
    void duplicatesAreProcessedOnce() {
        String e = call("dup-1", "2026-11-02T10:00:00Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\"");
        send(e);
        send(e);
        send(e);
        flushBudgets();
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(priced.readValuesToList()).hasSize(1);
        assertThat(budgets.readValuesToList()).hasSize(1);
    }

    @Test
    void aCopyArrivingLaterIsDroppedEvenWhenEventTimeHasMovedOnByWeeks() {
        String early = call("old-1", "2026-09-01T10:00:00Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\"");
        send(early);
        for (int day = 1; day <= 40; day++) {
            send(call("later-" + day, java.time.LocalDate.parse("2026-09-01").plusDays(day) + "T10:00:00Z",
                    ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\""));
        }
        send(early); // re-delivered by a retrying producer, 40 days of event time later
        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getEventId()).filteredOn("old-1"::equals).hasSize(1);
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicWithReasonAndSource() {
        events.pipeInput("k1", "{\"not\":\"avro\"}".getBytes());
        LlmCallEvent e = LlmCallEventJson.parseOrThrow(call("e9", "2026-11-02T10:00:00Z", ""));
        events.pipeInput("some-other-key", serializer.serialize(TOPICS.events(), e));

        List<org.apache.kafka.streams.test.TestRecord<String, DeadLetter>> dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(2);
        DeadLetter first = dead.get(0).value();
        assertThat(first.getStage()).isEqualTo("deserialize");
        assertThat(first.getErrorMessage()).isEqualTo("unknown magic byte 0x7b: not Confluent Avro wire format "
                + "(expected 0x00, a 4-byte schema id, then Avro binary)");
        assertThat(first.getSourceTopic()).isEqualTo("llm.events");
        assertThat(first.getSourcePartition()).isZero();
        assertThat(first.getSourceOffset()).isZero();
        assertThat(first.getOriginalValue().array()).isEqualTo("{\"not\":\"avro\"}".getBytes());
        assertThat(new String(dead.get(0).headers().lastHeader("llm-audit.dlq.error").value())).isEqualTo("WireFormatException");
        assertThat(dead.get(1).value().getErrorMessage()).startsWith("record key \"some-other-key\" is not the event_id \"e9\"");
        assertThat(dead.get(1).value().getSourceOffset()).isEqualTo(1L);
        assertThat(priced.isEmpty()).isTrue();
    }

    @Test
    void eachBudgetThresholdIsReportedOnceAndLateEventsLandInTheirOwnMonth() {
        // gpt-5.5 on an Azure EU data zone: 33 USD per million output tokens; the team budget is 2000 USD a month per cloud.
        // Contributions are summed per budget for budget.flush.interval before they are counted: flushed after each call here.
        send(azure("b1", "2026-11-03T09:00:00Z", 31_000_000));   // 1023 USD: 51%
        flushBudgets();
        send(azure("b2", "2026-11-04T09:00:00Z", 31_000_000));   // 2046 USD: crosses 80 and 100 at once
        flushBudgets();
        send(azure("b3", "2026-11-05T09:00:00Z", 1_000_000));    // 2079 USD: nothing new
        flushBudgets();
        send(azure("late", "2026-10-31T23:00:00Z", 1_000_000));  // October's own budget
        flushBudgets();

        List<PolicyViolation> crossings = violations.readValuesToList().stream().filter(v -> v.getPolicyId().equals("team-monthly-by-cloud")).toList();
        assertThat(crossings).extracting(v -> v.getEventId() + ":" + v.getDetails().get("threshold_percent"))
                .containsExactly("b1:50", "b2:80", "b2:100");
        assertThat(budgets.isEmpty()).as("statuses are written on the status interval, not per event").isTrue();
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        List<BudgetStatus> statuses = budgets.readValuesToList().stream().filter(s -> s.getBudgetId().equals("team-monthly-by-cloud")).toList();
        assertThat(statuses).as("one status per changed budget period").hasSize(2);
        BudgetStatus november = statuses.get(0);
        assertThat(november.getSpent().getAmount()).isEqualByComparingTo("2079");
        assertThat(november.getLastThresholdCrossed()).isEqualTo(100);
        assertThat(november.getPeriodStart()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        BudgetStatus october = statuses.get(1);
        assertThat(october.getPeriodStart()).isEqualTo(Instant.parse("2026-10-01T00:00:00Z"));
        assertThat(october.getSpent().getAmount()).isEqualByComparingTo("33");
        assertThat(october.getLastThresholdCrossed()).isNull();
    }

    @Test
    void aNewBundleOnThePoliciesTopicTakesEffectAndAnInvalidOneIsIgnored(@TempDir Path dir) throws IOException {
        Path changed = copy(BUNDLE, dir.resolve("v2"));
        Files.writeString(changed.resolve("bundle.yaml"), Files.readString(changed.resolve("bundle.yaml")).replace("2026.11.1", "2026.11.2"));
        Files.writeString(changed.resolve("policies/caps.yaml"), Files.readString(changed.resolve("policies/caps.yaml"))
                .replace("amount: \"5.00\"", "amount: \"0.001\""));
        policies.pipeInput("bundle", BundleArchive.pack(changed));

        send(call("after-switch", "2026-11-02T10:00:00Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\""));
        assertThat(priced.readValue().getBundleVersion()).isEqualTo("2026.11.2");
        assertThat(violations.readValuesToList()).filteredOn(v -> v.getPolicyId().equals("per-call-cost-cap"))
                .singleElement().satisfies(v -> assertThat(v.getBundleVersion()).isEqualTo("2026.11.2"));

        Path broken = copy(BUNDLE, dir.resolve("broken"));
        Files.writeString(broken.resolve("policies/caps.yaml"), "policies:\n  - id: x\n    kind: nonsense\n");
        policies.pipeInput("bundle", BundleArchive.pack(broken));
        send(call("after-broken", "2026-11-02T10:00:01Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\""));
        assertThat(priced.readValue().getBundleVersion()).as("the last good bundle stays in force").isEqualTo("2026.11.2");
    }

    @Test
    void savingsAdviceStaysOffTheViolationsTopicUnlessItCrossesTheViolationThresholds(@TempDir Path dir) throws IOException {
        // gpt-oss-120b in eu-central-1 (0.20 / 0.79) is 25 % dearer than eu-north-1 (0.15 / 0.60): advice, for finance.
        String gptOss = ",\"request_model\":\"openai.gpt-oss-120b-1:0\"";
        send(call("advice-1", "2026-11-02T10:00:00Z", gptOss));
        PricedLlmCall p = priced.readValue();
        assertThat(p.getPricingStatus()).isEqualTo(PricingStatus.priced);
        assertThat(p.getViolationIds()).isEmpty();
        assertThat(violations.readValuesToList()).isEmpty();

        // A bundle that calls a saving of over 20 % and over 0.00005 USD a call a violation ("a premium route for no reason").
        Path strict = copy(BUNDLE, dir.resolve("strict"));
        Files.writeString(strict.resolve("policies/advisories.yaml"), Files.readString(strict.resolve("policies/advisories.yaml"))
                .replace("    min_saving_percent: 5\n", "    min_saving_percent: 5\n    violation_saving_percent: 20\n"
                        + "    violation_saving: {amount: \"0.00005\", currency: USD}\n"));
        policies.pipeInput("bundle", BundleArchive.pack(strict));
        send(call("advice-2", "2026-11-02T10:00:01Z", gptOss));
        List<PolicyViolation> raised = violations.readValuesToList();
        assertThat(raised).singleElement().satisfies(v -> {
            assertThat(v.getPolicyId()).isEqualTo("cheaper-compliant-offer");
            assertThat(v.getMessage()).contains("on aws eu-north-1 (openai.gpt-oss-120b-1:0)").contains("(saving 0.000088 USD, 24.58%)");
        });
        assertThat(priced.readValue().getViolationIds()).containsExactly(raised.get(0).getViolationId());
    }

    static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    @Test
    void recordsOutsideTheBoundsAreDeadLetteredNamingTheFieldAndDedupIsPerTenant() {
        LlmCallEvent absurd = LlmCallEventJson.parseOrThrow(call("absurd", "2026-11-02T10:00:00Z", ""));
        absurd.setInputTokens(1L << 52);
        events.pipeInput("absurd", serializer.serialize(TOPICS.events(), absurd));
        LlmCallEvent future = LlmCallEventJson.parseOrThrow(call("future", "2026-11-02T10:00:00Z", ""));
        future.setEventTime(Instant.parse("2100-01-01T00:00:00Z"));
        events.pipeInput("future", serializer.serialize(TOPICS.events(), future));
        // The same event id from two tenants: two calls, not one and a duplicate.
        LlmCallEvent a = LlmCallEventJson.parseOrThrow(call("shared-id", "2026-11-02T10:00:00Z", ""));
        LlmCallEvent b = LlmCallEventJson.parseOrThrow(call("shared-id", "2026-11-02T10:00:00Z", "").replace("acme-eu", "globex"));
        events.pipeInput("shared-id", serializer.serialize(TOPICS.events(), a));
        events.pipeInput("shared-id", serializer.serialize(TOPICS.events(), b));
        events.pipeInput("shared-id", serializer.serialize(TOPICS.events(), b));

        List<DeadLetter> dead = dlq.readValuesToList();
        assertThat(dead).hasSize(2).allSatisfy(d -> {
            assertThat(d.getStage()).isEqualTo("validate");
            assertThat(d.getErrorClass()).isEqualTo("OutOfBounds");
        });
        assertThat(dead.get(0).getErrorMessage()).isEqualTo("input_tokens: must be between 0 and 1000000000, got 4503599627370496");
        assertThat(dead.get(1).getErrorMessage()).startsWith("event_time: must not be in the future: 2100-01-01T00:00:00Z is after ")
                .endsWith("(the receiver's clock plus 5 min of allowed skew)");
        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getTenant()).containsExactly("acme-eu", "globex");
    }

    @Test
    void aProcessorThatFailsOnARecordSendsItToTheDlqAndTheNextRecordIsProcessed(@TempDir Path state) throws Exception {
        var bundle = BundleLoader.load(BUNDLE).bundle();
        var policies = new java.util.ArrayList<>(bundle.policies());
        policies.add(new dev.llmaudit.policy.rules.Policy() {
            final dev.llmaudit.policy.rules.PolicyMeta meta = new dev.llmaudit.policy.rules.PolicyMeta("explodes", dev.llmaudit.policy.model.PolicyKind.CUSTOM,
                    null, dev.llmaudit.policy.model.Severity.LOW, null, dev.llmaudit.policy.rules.Selector.ALL, "test");

            @Override
            public dev.llmaudit.policy.rules.PolicyMeta meta() {
                return meta;
            }

            @Override
            public void check(dev.llmaudit.policy.rules.CheckContext ctx) {
                if (ctx.call().eventId().equals("poison")) {
                    throw new IllegalStateException("a bug that only this record triggers");
                }
            }
        });
        start(new EngineHolder(new dev.llmaudit.policy.engine.PolicyBundle(bundle.name(), bundle.version(), bundle.regions(), bundle.prices(),
                policies)), state);
        send(call("poison", "2026-11-02T10:00:00Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\""));
        send(call("next", "2026-11-02T10:00:01Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\""));

        List<org.apache.kafka.streams.test.TestRecord<String, DeadLetter>> dead = dlq.readRecordsToList();
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("poison");
            assertThat(r.value().getStage()).isEqualTo("price-evaluate");
            assertThat(r.value().getErrorClass()).isEqualTo("IllegalStateException");
            assertThat(r.value().getErrorMessage()).isEqualTo("a bug that only this record triggers");
            assertThat(r.value().getSourceTopic()).isEqualTo("llm.events");
            assertThat(r.value().getOriginalKey()).isEqualTo(java.nio.ByteBuffer.wrap("poison".getBytes()));
            assertThat(new String(r.headers().lastHeader("llm-audit.dlq.stage").value())).isEqualTo("price-evaluate");
        });
        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getEventId()).containsExactly("next");
    }

    @Test
    void aCorruptBundleOnThePoliciesTopicLeavesTheLastGoodOneInForce() {
        policies.pipeInput("bundle", "{\"format\":1,\"files\":{\"bundle.yaml\\u0000\":\"x\"}}");   // a NUL in an entry name
        policies.pipeInput("bundle", "not json at all");
        policies.pipeInput("bundle", "{\"format\":1,\"files\":{\"../../etc/passwd\":\"x\"}}");
        assertThat(engines.refused()).isEqualTo(3);
        send(call("after-corrupt", "2026-11-02T10:00:00Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\""));
        assertThat(priced.readValue().getBundleVersion()).isEqualTo("2026.11.1");
    }

    @Test
    void aCelRuleThatFailsForACallIsAPolicyErrorViolation(@TempDir Path dir) throws IOException {
        Path bundle = copy(BUNDLE, dir.resolve("cel"));
        Files.writeString(bundle.resolve("policies/broken-rule.yaml"), """
                policies:
                  - id: search-only
                    kind: custom
                    severity: high
                    condition: "event.team != 'search'"
                """);
        policies.pipeInput("bundle", BundleArchive.pack(bundle));
        send(call("no-team", "2026-11-02T10:00:00Z", ",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\"").replace("\"team\":\"claims\",", ""));
        PolicyViolation v = violations.readValuesToList().stream().filter(x -> x.getPolicyId().equals("search-only")).findFirst().orElseThrow();
        assertThat(v.getPolicyKind()).isEqualTo(dev.llmaudit.avro.PolicyKind.policy_error);
        assertThat(v.getSeverity()).isEqualTo(dev.llmaudit.avro.Severity.high);
        assertThat(v.getMessage()).startsWith("policy search-only could not be evaluated for this call: evaluation error at <input>:5:"
                + " key 'team' is not present in map.");
    }
}
