package dev.llmaudit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.embedded.tls.TestCertificates;
import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.jobs.Topics;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole pipeline on real engines, each part a separate process started from the shipped jars: three
 * Kafka brokers (SASL_SSL, SCRAM-SHA-512, StandardAuthorizer, the ACLs of deploy/k8s/users.yaml), the ingest
 * gateway as {@code ingest-gateway}, two enforcers as {@code enforcer}, and the rollups job jar submitted
 * through the REST API to a Flink session cluster (one JobManager, two TaskManagers), as {@code rollups}.
 * Traffic is posted over HTTP while a broker, an enforcer and a TaskManager are killed with SIGKILL and a
 * new bundle is published; then everything is read back (read_committed) and compared with the offline
 * engine. Figures go to target/cluster-tier/report.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealEnginesIT {
    static final Path CLI_JAR = Path.of(System.getProperty("llmaudit.jar", "../cli/target/llm-audit.jar")).toAbsolutePath().normalize();
    static final Path ROLLUPS_JAR = Path.of(System.getProperty("rollups.jar", "../stream-jobs/rollups/target/llm-audit-rollups-job.jar"))
            .toAbsolutePath().normalize();
    static final Path BUNDLE = Path.of("..", "policies", "bundle").toAbsolutePath().normalize();
    static final PipelineTopics TOPICS = PipelineTopics.defaults();
    static final String V2 = "2026.11.1-cluster-tier";
    /** Records an app writes to llm.events by hand with a key that is not the event id: they, and only they, belong in the DLQ. */
    static final int MEANT_FOR_DLQ = 5;

    Path dir;
    TestCertificates.Files certs;
    Map<String, List<AclBinding>> acls;
    KafkaTrio kafka;
    EmbeddedSchemaRegistry registry;
    SchemaRegistryClient registryClient;
    FlinkSession flink;
    JavaProcess gateway;
    final JavaProcess[] enforcers = new JavaProcess[2];
    int gatewayPort;
    final Map<String, String> apiKeys = new LinkedHashMap<>();
    String jobId;
    final List<String> report = new ArrayList<>();
    final long started = System.nanoTime();

    @BeforeAll
    void startTheCluster() throws Exception {
        // The tier cannot run without the shipped jars: fail saying so, never skip.
        assertThat(CLI_JAR).as("the CLI jar (build it with ./mvnw -B package -pl cli -am)").exists();
        assertThat(ROLLUPS_JAR).as("the rollups job jar (build it with ./mvnw -B package -pl stream-jobs/rollups -am)").exists();
        // A fresh directory each run (the previous run's logs stay until then): brokers refuse data of another cluster id.
        dir = Path.of("target", "cluster-tier").toAbsolutePath();
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        certs = TestCertificates.create(dir.resolve("certs"));
        acls = UsersYaml.acls();
        kafka = new KafkaTrio(Files.createDirectories(dir.resolve("kafka")), certs, acls.keySet()).start(CLI_JAR.toString());
        step("3 brokers up");
        try (Admin admin = Admin.create(kafka.clientProperties(KafkaTrio.ADMIN))) {
            admin.createAcls(acls.values().stream().flatMap(List::stream).toList()).all().get(60, TimeUnit.SECONDS);
            Map<String, String> all = new LinkedHashMap<>();
            Topics.definitions().keySet().forEach(t -> all.put(t, t));
            Topics.ensure(kafka.bootstrapServers(), kafka.client(KafkaTrio.ADMIN), all, null);
        }
        registry = EmbeddedSchemaRegistry.start(kafka.client(KafkaTrio.ADMIN), "_schemas", 0, null, null);
        registryClient = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        step("ACLs from users.yaml (" + acls.values().stream().mapToInt(List::size).sum() + " bindings for " + acls.size()
                + " users), topics from topics.yaml, registry");

        // Everything else starts at once; then each is awaited.
        flink = new FlinkSession(dir.resolve("flink"));
        flink.jobManager.start();
        for (JavaProcess tm : flink.taskManagers) {
            tm.start();
        }
        for (String tenant : List.of("acme-eu", "globex-us")) {
            apiKeys.put(tenant, newKey(tenant));
        }
        gateway = JavaProcess.of("gateway", dir, "384m", List.of(), List.of("-jar", CLI_JAR.toString(), "ingest", "serve",
                "--bootstrap-servers", kafka.bootstrapServers(), "--kafka-config", clientFile("ingest-gateway").toString(),
                "--schema-registry-url", registry.url(), "--keys", dir.resolve("keys.txt").toString(), "--host", "127.0.0.1", "--port", "0",
                "--admin-port", "0", "--max-age", "P35D"));
        gateway.start();
        for (int i = 0; i < 2; i++) {
            enforcers[i] = JavaProcess.of("enforcer-" + (i + 1), dir, "384m", List.of(),
                    List.of("-jar", CLI_JAR.toString(), "enforcer", "run", "--config", enforcerConfig(i).toString()));
            enforcers[i].start();
        }
        gateway.awaitLog("Ingest gateway listening on", 0, Duration.ofSeconds(120));
        Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/v1/events").matcher(gateway.output());
        assertThat(m.find()).isTrue();
        gatewayPort = Integer.parseInt(m.group(1));
        for (JavaProcess e : enforcers) {
            e.awaitLog("running on", 0, Duration.ofSeconds(180));
        }
        step("gateway and 2 enforcers up");
        flink.jobManager.await(() -> flink.registeredTaskManagers() == 2, Duration.ofSeconds(180), "two TaskManagers registered");
        jobId = flink.submit(ROLLUPS_JAR, "dev.llmaudit.rollups.RollupsMain", List.of("--config", rollupsConfig().toString()));
        flink.jobManager.await(() -> flink.allTasksRunning(jobId), Duration.ofSeconds(180), "every task of the rollups job RUNNING");
        step("Flink session cluster up (JobManager, 2 TaskManagers), job jar uploaded and run through REST, job " + jobId);
    }

    @AfterAll
    void stopEverything() throws IOException {
        report.add("");
        report.add("whole tier: " + seconds(System.nanoTime() - started) + " s");
        Files.writeString(dir.resolve("report.md"), String.join("\n", report) + "\n");
        System.out.println(String.join("\n", report));
        for (JavaProcess e : enforcers) {
            if (e != null) {
                e.close();
            }
        }
        if (gateway != null) {
            gateway.close();
        }
        if (flink != null) {
            flink.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    // ------------------------------------------------------------------ least privilege

    @Test
    @Order(1)
    void eachPrincipalMayDoWhatUsersYamlGrantsAndTheBrokerRefusesTheRest() throws Exception {
        // apps: may write llm.events, may not read llm.violations.
        try (KafkaProducer<String, LlmCallEvent> p = new KafkaProducer<>(kafka.clientProperties("apps"), new StringSerializer(),
                new ConfluentAvroSerializer<>(registryClient, true))) {
            for (int i = 0; i < MEANT_FOR_DLQ; i++) {
                LlmCallEvent e = LlmCallEvent.newBuilder().setEventId("app-direct-" + i).setEventTime(Instant.now()).setTenant("acme-eu")
                        .setCloud(dev.llmaudit.avro.Cloud.openai).setRequestModel("gpt-5.5").setInputTokens(10L).setOutputTokens(1L).build();
                // Keyed wrongly on purpose: the enforcer must dead-letter exactly these.
                p.send(new ProducerRecord<>(TOPICS.events(), "not-the-event-id-" + i, e)).get(60, TimeUnit.SECONDS);
            }
        }
        assertRefused("apps", TOPICS.violations());
        // security: only the violations and the DLQ.
        assertReadable("security", TOPICS.violations());
        assertReadable("security", TOPICS.dlq());
        assertRefused("security", TOPICS.events());
        assertRefused("security", TOPICS.rollups());
        // finance: only rollups and budgets.
        assertReadable("finance", TOPICS.rollups());
        assertReadable("finance", TOPICS.budgetStatus());
        assertRefused("finance", TOPICS.events());
        assertRefused("finance", TOPICS.violations());
        // The gateway may write events, not read them; the rollups job may not write violations.
        assertRefused("ingest-gateway", TOPICS.events());
        assertThatThrownBy(() -> {
            try (KafkaProducer<String, String> p = new KafkaProducer<>(kafka.clientProperties("rollups"), new StringSerializer(), new StringSerializer())) {
                p.send(new ProducerRecord<>(TOPICS.violations(), "k", "forged")).get(30, TimeUnit.SECONDS);
            }
        }).hasRootCauseInstanceOf(AuthorizationException.class);
        // No credentials at all: TLS without SASL to the SASL_SSL listener is refused.
        Properties anonymous = new Properties();
        Map<String, String> c = kafka.client("apps");
        anonymous.put("bootstrap.servers", c.get("bootstrap.servers"));
        anonymous.put("security.protocol", "SSL");
        anonymous.put("ssl.truststore.location", c.get("ssl.truststore.location"));
        anonymous.put("ssl.truststore.password", c.get("ssl.truststore.password"));
        anonymous.put("ssl.truststore.type", "PKCS12");
        anonymous.put("default.api.timeout.ms", "8000");
        anonymous.put("request.timeout.ms", "4000");
        try (Admin a = Admin.create(anonymous); Admin authenticated = Admin.create(kafka.clientProperties("apps"))) {
            // The broker drops a client that skips SASL, so it sees no answer; the same request with credentials,
            // at the same moment, shows that the brokers were up and answering.
            assertThatThrownBy(() -> a.listTopics().names().get(10, TimeUnit.SECONDS)).as("a client without credentials")
                    .isInstanceOfAny(java.util.concurrent.ExecutionException.class, java.util.concurrent.TimeoutException.class);
            assertThat(authenticated.listTopics().names().get(30, TimeUnit.SECONDS)).as("what apps may see").contains(TOPICS.events());
        }
        // A wrong password is refused as such.
        Properties wrong = kafka.clientProperties("finance");
        wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"finance\" password=\"guess\";");
        wrong.put("default.api.timeout.ms", "8000");
        wrong.put("request.timeout.ms", "4000");
        try (Admin a = Admin.create(wrong)) {
            assertThatThrownBy(() -> a.listTopics().names().get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
        }
        step("least privilege: apps, security, finance, ingest-gateway, rollups and an anonymous client checked against the brokers");
    }

    void assertReadable(String user, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = assignedConsumer(user, topic)) {
            c.poll(Duration.ofMillis(500));
        }
    }

    void assertRefused(String user, String topic) {
        assertThatThrownBy(() -> {
            try (KafkaConsumer<byte[], byte[]> c = assignedConsumer(user, topic)) {
                c.poll(Duration.ofSeconds(5));
            }
        }).as(user + " reading " + topic).isInstanceOf(AuthorizationException.class);
    }

    /** A consumer without a group (no group ACL involved): only the topic's Read and Describe are checked. */
    KafkaConsumer<byte[], byte[]> assignedConsumer(String user, String topic) {
        Properties p = kafka.clientProperties(user);
        p.put("default.api.timeout.ms", "15000");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(15)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------ traffic and faults

    @Test
    @Order(2)
    void underTrafficAndFaultsEveryEventIsCountedOnceAndMatchesTheOfflineEngine() throws Exception {
        Tally tally = new Tally();
        tally.start();
        Traffic traffic = new Traffic(Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofHours(20)));
        traffic.start();
        try (Admin admin = Admin.create(kafka.clientProperties(KafkaTrio.ADMIN))) {
            waitUntil(() -> traffic.accepted.size() >= 1200, Duration.ofSeconds(120), "1,200 events accepted");

            // 1. A broker: the one that leads most llm.events partitions.
            int broker = kafka.leaderOfMost(admin, TOPICS.events());
            Fault f = fault("kill -9 broker " + (broker + 1) + " (leader of most llm.events partitions)", traffic, tally);
            kafka.nodes[broker].kill9();
            JavaProcess.sleep(5_000);
            kafka.restart(broker);
            f.recovered(tally, Duration.ofSeconds(150));
            long t = System.nanoTime();
            waitUntil(() -> kafka.fullyReplicated(admin, List.of(TOPICS.events(), TOPICS.priced(), TOPICS.violations())), Duration.ofSeconds(120),
                    "every replica back in sync");
            report.add("  broker " + (broker + 1) + " restarted; all replicas of events/priced/violations in sync again " + seconds(System.nanoTime() - t)
                    + " s after its restart");

            // 2. An enforcer: the other takes over its tasks.
            Fault e = fault("kill -9 enforcer 1 (the other takes over)", traffic, tally);
            enforcers[0].kill9();
            e.recovered(tally, Duration.ofSeconds(150));
            int from = enforcers[0].output().length();
            enforcers[0].start();
            enforcers[0].awaitLog("running on", from, Duration.ofSeconds(120));

            // 3. A TaskManager: the job restarts from its checkpoint once a TaskManager replaces it.
            long restoredBefore = restoredCheckpoint();
            Fault tm = fault("kill -9 TaskManager 1", traffic, tally);
            // As Kubernetes would: the killed pod's replacement starts at once (a new TaskManager, a new resource id).
            flink.replaceTaskManager(0);
            flink.jobManager.await(() -> restoredCheckpoint() > restoredBefore && flink.allTasksRunning(jobId), Duration.ofSeconds(180),
                    "the rollups job restored from a checkpoint and running again");
            tm.done("job RUNNING again, restored from checkpoint " + restoredCheckpoint());

            // 4. A new bundle, published while traffic flows.
            Path v2 = copyBundle(dir.resolve("bundle-v2"), V2);
            Fault pub = fault("policies publish (bundle " + V2 + ")", traffic, tally);
            RunResult r = run("policies", "publish", v2.toString(), "--bootstrap-servers", kafka.bootstrapServers(), "--kafka-config",
                    clientFile("policy-publisher").toString(), "--schema-registry-url", registry.url());
            assertThat(r.exit()).as(r.out()).isZero();
            waitUntil(() -> tally.versions.contains(V2), Duration.ofSeconds(90), "priced events evaluated with " + V2);
            pub.done("in force in the enforcers' output");

            waitUntil(() -> traffic.accepted.size() >= traffic.planned, Duration.ofSeconds(240), "at least " + traffic.planned + " events accepted");
        } finally {
            traffic.stop();
        }
        report.add("traffic: " + traffic.accepted.size() + " events accepted (202) in " + traffic.requests.get() + " requests; "
                + traffic.retried.get() + " requests answered 503 or failed and were retried with the same events");
        // Events dated now move the rollups' watermark past yesterday's windows; they are not part of the rollup check.
        Set<String> trafficIds = Set.copyOf(traffic.accepted.keySet());
        Set<String> flush = traffic.flush(Instant.now(), 40);
        Set<String> accepted = new HashSet<>(trafficIds);
        accepted.addAll(flush);
        waitUntil(() -> tally.distinct() >= accepted.size(), Duration.ofSeconds(180), "every accepted event priced");
        tally.stop();
        checkEverything(trafficIds, accepted);
    }

    /** @param trafficIds the calls dated yesterday (the rollup check); @param accepted every accepted call */
    void checkEverything(Set<String> trafficIds, Set<String> accepted) throws Exception {
        Properties admin = kafka.clientProperties(KafkaTrio.ADMIN);
        // Input as the enforcers read it.
        Map<String, LlmCallEvent> events = new LinkedHashMap<>();
        List<String> keysNotIds = new ArrayList<>();
        int copies = 0;
        for (ConsumerRecord<String, LlmCallEvent> r : readAll(admin, TOPICS.events(), values(LlmCallEvent.class))) {
            if (!r.key().equals(r.value().getEventId())) {
                keysNotIds.add(r.key());
            } else if (events.putIfAbsent(r.key(), r.value()) != null) {
                // A request the client gave up on (or answered 503 after a commit that did land) and sent again:
                // the copy is on llm.events; deduplication downstream is what keeps it from counting twice.
                copies++;
            }
        }
        assertThat(events.keySet()).as("llm.events holds exactly the accepted events").isEqualTo(accepted);
        report.add("llm.events: " + events.size() + " distinct events, " + copies + " copies from retried requests");

        // Every accepted event priced exactly once.
        Map<String, PricedLlmCall> priced = new HashMap<>();
        List<String> twice = new ArrayList<>();
        for (ConsumerRecord<String, PricedLlmCall> r : readAll(admin, TOPICS.priced(), values(PricedLlmCall.class))) {
            if (priced.put(r.key(), r.value()) != null) {
                twice.add(r.key());
            }
        }
        assertThat(twice).as("events priced more than once").isEmpty();
        assertThat(priced.keySet()).as("priced = accepted").isEqualTo(accepted);

        // Violations exactly once, equal to the offline engine with the bundle each call was evaluated with.
        Map<String, PolicyEngine> engines = Map.of(BundleLoader.load(BUNDLE).bundle().version(), new PolicyEngine(BundleLoader.load(BUNDLE).bundle()),
                V2, new PolicyEngine(BundleLoader.load(dir.resolve("bundle-v2")).bundle()));
        Set<String> expected = new HashSet<>();
        BudgetLedger ledger = new BudgetLedger();
        for (LlmCallEvent e : events.values()) {
            PolicyEngine engine = engines.get(priced.get(e.getEventId()).getBundleVersion());
            assertThat(engine).as("bundle version of " + e.getEventId()).isNotNull();
            var evaluation = engine.evaluate(LlmCalls.from(e));
            evaluation.findings().stream().filter(f -> !f.advice()).forEach(f -> expected.add(f.id()));
            for (var c : evaluation.budgetContributions()) {
                ledger.record(c, dev.llmaudit.policy.model.Severity.MEDIUM).forEach(f -> expected.add(f.id()));
            }
            PricedLlmCall p = priced.get(e.getEventId());
            if (evaluation.pricing().total() == null) {
                assertThat(p.getCost()).as("cost of " + e.getEventId()).isNull();
            } else {
                assertThat(p.getCost().getAmount()).as("cost of " + e.getEventId()).isEqualByComparingTo(evaluation.pricing().total());
            }
        }
        List<String> violationIds = new ArrayList<>();
        waitUntil(() -> {
            violationIds.clear();
            readAll(admin, TOPICS.violations(), values(PolicyViolation.class)).forEach(r -> violationIds.add(r.value().getViolationId()));
            return new HashSet<>(violationIds).containsAll(expected);
        }, Duration.ofSeconds(60), "every expected violation committed");
        assertThat(violationIds).as("violations written more than once").doesNotHaveDuplicates();
        assertThat(new HashSet<>(violationIds)).as("violations = the offline engine's").isEqualTo(expected);

        // Budget totals.
        Map<String, BudgetStatus> latest = new HashMap<>();
        waitUntil(() -> {
            latest.clear();
            readAll(admin, TOPICS.budgetStatus(), values(BudgetStatus.class)).forEach(r -> latest.put(r.key(), r.value()));
            return ledger.states().entrySet().stream().allMatch(s -> latest.containsKey(s.getKey())
                    && latest.get(s.getKey()).getSpent().getAmount().compareTo(s.getValue().spent()) == 0);
        }, Duration.ofSeconds(60), "every budget status at its offline total");
        assertThat(latest.keySet()).isEqualTo(ledger.states().keySet());

        // DLQ: only the records keyed wrongly on purpose.
        List<ConsumerRecord<String, DeadLetter>> dead = readAll(admin, TOPICS.dlq(), values(DeadLetter.class));
        assertThat(dead).extracting(r -> r.value().getStage() + "/" + r.value().getErrorClass())
                .as("the DLQ holds only what was meant to go there").containsOnly("validate/KeyMismatch").hasSize(keysNotIds.size());
        assertThat(keysNotIds).hasSize(MEANT_FOR_DLQ);

        // Rollups of yesterday's windows: latest revision per key plus corrections = the priced traffic, per granularity.
        long calls = trafficIds.size();
        BigDecimal list = trafficIds.stream().map(priced::get).map(p -> p.getListCost() != null ? p.getListCost().getAmount()
                : p.getCost() == null ? BigDecimal.ZERO : p.getCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add);
        Instant today = Instant.now().truncatedTo(ChronoUnit.DAYS);
        Map<RollupGranularity, long[]> counts = new HashMap<>();
        Map<RollupGranularity, BigDecimal[]> costs = new HashMap<>();
        waitUntil(() -> {
            Map<String, UsageRollup> byKey = new HashMap<>();
            readAll(admin, TOPICS.rollups(), values(UsageRollup.class))
                    .forEach(r -> byKey.merge(r.key(), r.value(), (a, b) -> b.getXRevision() >= a.getXRevision() ? b : a));
            counts.clear();
            costs.clear();
            for (UsageRollup u : byKey.values()) {
                if (!u.getChargePeriodStart().isBefore(today)) {
                    continue;
                }
                counts.computeIfAbsent(u.getXGranularity(), g -> new long[1])[0] += u.getXRequestCount();
                BigDecimal[] c = costs.computeIfAbsent(u.getXGranularity(), g -> new BigDecimal[] {BigDecimal.ZERO});
                c[0] = c[0].add(u.getListCost().getAmount());
            }
            return java.util.Arrays.stream(RollupGranularity.values()).allMatch(g -> counts.containsKey(g) && counts.get(g)[0] == calls);
        }, Duration.ofSeconds(150), () -> "rollups of yesterday covering every traffic call (" + calls + "); so far: "
                + counts.entrySet().stream().map(en -> en.getKey() + "=" + en.getValue()[0]).toList() + "; job " + flink.state(jobId)
                + ", watermarks " + flink.watermarks(jobId));
        for (RollupGranularity g : RollupGranularity.values()) {
            assertThat(counts.get(g)[0]).as(g + " calls").isEqualTo(calls);
            assertThat(costs.get(g)[0]).as(g + " list cost").isEqualByComparingTo(list);
        }
        report.add("checked: " + accepted.size() + " events priced exactly once; " + expected.size() + " violations exactly once, equal to the offline"
                + " engine (" + engines.keySet() + "); " + ledger.states().size() + " budget totals equal; rollups (hourly and daily) sum to "
                + calls + " calls and " + list.stripTrailingZeros().toPlainString() + " USD; DLQ = the " + MEANT_FOR_DLQ + " records meant for it");
    }

    // ------------------------------------------------------------------ helpers

    /** A fault: when it happened, how many accepted events were not yet priced then, and how long until they were. */
    final class Fault {
        final String what;
        final long at = System.nanoTime();
        final Set<String> acceptedBefore;
        final int inFlight;

        Fault(String what, Traffic traffic, Tally tally) {
            this.what = what;
            this.acceptedBefore = new HashSet<>(traffic.accepted.keySet());
            this.inFlight = (int) acceptedBefore.stream().filter(id -> !tally.seen.containsKey(id)).count();
        }

        /** Waits until every event accepted before the fault is priced; reports the time. */
        void recovered(Tally tally, Duration timeout) throws Exception {
            waitUntil(() -> tally.seen.keySet().containsAll(acceptedBefore), timeout, "the events accepted before \"" + what + "\" priced");
            done("all " + acceptedBefore.size() + " events accepted before it priced");
        }

        void done(String how) {
            report.add(String.format("- %s: %d accepted events not yet priced at that moment; %s %s s later", what, inFlight, how,
                    seconds(System.nanoTime() - at)));
        }
    }

    Fault fault(String what, Traffic traffic, Tally tally) {
        return new Fault(what, traffic, tally);
    }

    long restoredCheckpoint() {
        try {
            JsonNode restored = flink.checkpoints(jobId).path("latest").path("restored");
            return restored.isMissingNode() || restored.isNull() ? -1 : restored.path("id").asLong(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Posts generated calls in batches of 20, about 65 per second, retrying a batch (same events) until it is accepted. */
    final class Traffic {
        /** Traffic flows until every fault is done and at least this many events were accepted. */
        final int planned = 4_000;
        final Instant base;
        final Map<String, Boolean> accepted = new ConcurrentHashMap<>();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger retried = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        /** What ended the traffic thread other than stop(): rethrown by stop(), never swallowed. */
        volatile Throwable failure;
        Thread thread;

        Traffic(Instant base) {
            this.base = base;
        }

        void start() {
            thread = new Thread(() -> {
                for (int i = 0; !stop.get(); i += 20) {
                    long t0 = System.nanoTime();
                    List<String> batch = new ArrayList<>();
                    for (int j = i; j < i + 20; j++) {
                        batch.add(call(j, base.plusSeconds(j * 2L)));
                    }
                    postUntilAccepted(i % 40 == 0 ? "acme-eu" : "globex-us", batch);
                    long spent = (System.nanoTime() - t0) / 1_000_000;
                    if (spent < 300) {
                        JavaProcess.sleep(300 - spent);
                    }
                }
            }, "cluster-tier-traffic");
            thread.setUncaughtExceptionHandler((t, e) -> failure = e);
            thread.setDaemon(true);
            thread.start();
        }

        Set<String> flush(Instant now, int n) {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < n; i += 10) {
                List<String> batch = new ArrayList<>();
                for (int j = i; j < i + 10; j++) {
                    batch.add(call(1_000_000 + j, now.minusSeconds(30).plusMillis(j * 100L)));
                    ids.add("tier-" + (1_000_000 + j));
                }
                postUntilAccepted("acme-eu", batch);
                JavaProcess.sleep(500);
            }
            return ids;
        }

        void postUntilAccepted(String tenant, List<String> batch) {
            String body = "[" + String.join(",", batch) + "]";
            for (int attempt = 0; attempt < 600; attempt++) {
                requests.incrementAndGet();
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/v1/events"))
                            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + apiKeys.get(tenant))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 202) {
                        for (JsonNode n : FlinkSession.JSON.readTree(body)) {
                            accepted.put(n.path("event_id").asText(), true);
                        }
                        return;
                    }
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                } catch (IOException e) {
                    // the gateway is a separate process: a connection problem is retried like a 503
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                retried.incrementAndGet();
                JavaProcess.sleep(250);
            }
            throw new AssertionError("a batch was not accepted after 600 attempts");
        }

        void stop() throws InterruptedException {
            stop.set(true);
            if (thread != null) {
                thread.join(60_000);
            }
            if (failure != null) {
                throw new AssertionError("the traffic thread failed", failure);
            }
        }
    }

    /** One generated call, as JSON for the gateway: mixed clouds, regions, models, teams and classifications. */
    static String call(int i, Instant time) {
        Random rnd = new Random(i * 31L + 7);
        String[][] routes = {
                {"aws", "eu-central-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                {"aws", "eu-central-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                {"aws", "us-east-1", "openai.gpt-oss-120b-1:0", null},
                {"azure", "swedencentral", "gpt-5.5", "data_zone"},
                {"azure", "swedencentral", "gpt-5.5", "global"},
                {"openai", null, "gpt-5.5", null},
        };
        String[] r = routes[rnd.nextInt(routes.length)];
        String[] teams = {"search", "claims", "ads"};
        String[] classes = {"internal", "pii", "public"};
        StringBuilder b = new StringBuilder("{\"event_id\":\"tier-").append(i).append("\",\"event_time\":\"").append(time)
                .append("\",\"team\":\"").append(teams[rnd.nextInt(3)]).append("\",\"environment\":\"prod\",\"cloud\":\"").append(r[0])
                .append("\",\"request_model\":\"").append(r[2]).append("\",\"data_classification\":\"").append(classes[rnd.nextInt(3)])
                .append("\",\"input_tokens\":").append(rnd.nextInt(200_000)).append(",\"output_tokens\":").append(rnd.nextInt(20_000));
        if (r[1] != null) {
            b.append(",\"region\":\"").append(r[1]).append('"');
        }
        if (r[3] != null) {
            b.append(",\"deployment_scope\":\"").append(r[3]).append('"');
        }
        return b.append('}').toString();
    }

    /** Follows llm.events.priced as a read_committed consumer: which events are priced, and with which bundle versions. */
    final class Tally {
        final Map<String, Integer> seen = new ConcurrentHashMap<>();
        final Set<String> versions = ConcurrentHashMap.newKeySet();
        final AtomicBoolean stop = new AtomicBoolean();
        Thread thread;

        void start() {
            thread = new Thread(() -> {
                Properties p = kafka.clientProperties(KafkaTrio.ADMIN);
                p.put("isolation.level", "read_committed");
                try (KafkaConsumer<String, PricedLlmCall> c = new KafkaConsumer<>(p, new StringDeserializer(), values(PricedLlmCall.class))) {
                    List<TopicPartition> parts = c.partitionsFor(TOPICS.priced(), Duration.ofSeconds(60)).stream()
                            .map(i -> new TopicPartition(TOPICS.priced(), i.partition())).toList();
                    c.assign(parts);
                    c.seekToBeginning(parts);
                    while (!stop.get()) {
                        try {
                            for (ConsumerRecord<String, PricedLlmCall> r : c.poll(Duration.ofMillis(200))) {
                                seen.merge(r.key(), 1, Integer::sum);
                                versions.add(r.value().getBundleVersion());
                            }
                        } catch (org.apache.kafka.common.KafkaException e) {
                            // a broker is down: the consumer retries on the next poll
                        }
                    }
                }
            }, "cluster-tier-tally");
            thread.setDaemon(true);
            thread.start();
        }

        int distinct() {
            return seen.size();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
        }
    }

    <T> Deserializer<T> values(Class<T> type) {
        return new ConfluentAvroDeserializer<>(registryClient, type);
    }

    /** The whole topic as a read_committed consumer sees it, read to the end offsets found at start. */
    static <T> List<ConsumerRecord<String, T>> readAll(Properties client, String topic, Deserializer<T> values) {
        Properties p = new Properties();
        p.putAll(client);
        p.put("isolation.level", "read_committed");
        p.put("max.poll.records", "5000");
        List<ConsumerRecord<String, T>> out = new ArrayList<>();
        try (KafkaConsumer<String, T> c = new KafkaConsumer<>(p, new StringDeserializer(), values)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(60)).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp, Duration.ofSeconds(60)) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to " + end);
                }
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    void waitUntil(Check check, Duration timeout, String what) throws Exception {
        waitUntil(check, timeout, () -> what);
    }

    void waitUntil(Check check, Duration timeout, java.util.function.Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what.get() + "\n" + diagnostics());
            }
            Thread.sleep(250);
        }
    }

    String diagnostics() {
        StringBuilder b = new StringBuilder();
        List<JavaProcess> all = new ArrayList<>(List.of(kafka.nodes));
        all.add(gateway);
        all.addAll(List.of(enforcers));
        all.add(flink.jobManager);
        all.addAll(List.of(flink.taskManagers));
        for (JavaProcess p : all) {
            if (p != null) {
                b.append("--- ").append(p.name).append(p.alive() ? " (alive)" : " (dead)").append(", log ").append(p.log).append(":\n")
                        .append(p.tail().lines().skip(Math.max(0, p.tail().lines().count() - 15)).collect(Collectors.joining("\n"))).append('\n');
            }
        }
        return b.toString();
    }

    void step(String what) {
        report.add(String.format("- %s (%s s into the tier)", what, seconds(System.nanoTime() - started)));
        System.out.println("[cluster tier] " + report.get(report.size() - 1));
    }

    static String seconds(long nanos) {
        return String.format("%.1f", nanos / 1e9);
    }

    Path clientFile(String user) throws IOException {
        Path f = dir.resolve(user + ".properties");
        Properties p = new Properties();
        kafka.client(user).forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                p.put(k, v);
            }
        });
        try (var out = Files.newOutputStream(f)) {
            p.store(out, "Kafka client settings of " + user);
        }
        return f;
    }

    Path enforcerConfig(int i) throws IOException {
        List<String> lines = new ArrayList<>(List.of("bootstrap.servers=" + kafka.bootstrapServers(), "schema.registry.url=" + registry.url(),
                "bundle.dir=" + BUNDLE, "state.dir=" + dir.resolve("enforcer-" + (i + 1) + "-state"), "http.port=0", "create.topics=false",
                "streams.num.stream.threads=1",
                // A crashed instance's tasks move when the group notices it is gone: after session.timeout.ms
                // (default 45 s; 48.5 s measured here with it). The tier uses 15 s to stay within its time.
                "streams.session.timeout.ms=15000"));
        kafka.client("enforcer").forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                lines.add("streams." + k + "=" + v.replace("\\", "\\\\"));
            }
        });
        Path f = dir.resolve("enforcer-" + (i + 1) + ".properties");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    Path rollupsConfig() throws IOException {
        List<String> lines = new ArrayList<>(List.of("bootstrap.servers=" + kafka.bootstrapServers(), "schema.registry.url=" + registry.url(),
                "bundle.dir=" + BUNDLE, "create.topics=false", "parallelism=2", "checkpoint.interval=PT3S", "out.of.orderness=PT5S",
                "idleness=PT5S"));
        kafka.client("rollups").forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                lines.add("kafka." + k + "=" + v.replace("\\", "\\\\"));
            }
        });
        Path f = dir.resolve("rollups.properties");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    String newKey(String tenant) throws Exception {
        RunResult r = run("ingest", "new-key", "--tenant", tenant, "--keys", dir.resolve("keys.txt").toString());
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out().lines().filter(l -> l.startsWith("lla_")).findFirst().orElseThrow();
    }

    record RunResult(int exit, String out) {}

    RunResult run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JavaProcess.JAVA, "-Xmx256m", "-jar", CLI_JAR.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new RunResult(p.exitValue(), out);
    }

    static Path copyBundle(Path to, String version) throws IOException {
        try (var files = Files.walk(BUNDLE)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(BUNDLE.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path manifest = to.resolve("bundle.yaml");
        String text = Files.readString(manifest);
        assertThat(text).contains("version: \"2026.11.1\"");
        Files.writeString(manifest, text.replace("version: \"2026.11.1\"", "version: \"" + version + "\""));
        return to;
    }
}
