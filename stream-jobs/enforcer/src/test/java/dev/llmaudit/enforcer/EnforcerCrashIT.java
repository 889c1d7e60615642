package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.jobs.CommittedRecords;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once under crashes: the enforcer runs as a separate JVM and is killed with SIGKILL
 * (no close, no commit) three times while 200,000 events flow; each time it is restarted on the
 * same state directory. Read with read_committed, every priced event, every violation and every
 * budget total must be present exactly once and equal what the engine computes offline.
 */
@ExtendWith(KafkaClusterExtension.class)
class EnforcerCrashIT {
    static final int EVENTS = 200_000;
    static final int DUPLICATES = 2_000;

    @Test
    void killedRepeatedlyWithoutCloseStillProducesEverythingExactlyOnce(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                        @TempDir Path dir) throws Exception {
        String prefix = cluster.uniqueTopic("crash") + ".";
        PipelineTopics topics = PipelineTopics.defaults().prefixed(prefix);
        Path bundle = Path.of("..", "..", "policies", "bundle").toAbsolutePath().normalize();
        Path config = dir.resolve("enforcer.properties");
        Files.writeString(config, String.join("\n",
                "application.id=" + prefix + "enforcer",
                "bootstrap.servers=" + cluster.bootstrapServers(),
                "schema.registry.url=" + registry.url(),
                "bundle.dir=" + bundle,
                "state.dir=" + dir.resolve("state"),
                "http.port=0",
                "topic.events=" + topics.events(), "topic.dlq=" + topics.dlq(), "topic.priced=" + topics.priced(),
                "topic.violations=" + topics.violations(), "topic.budget.status=" + topics.budgetStatus(), "topic.policies=" + topics.policies(),
                "topic.partitions=3",
                "streams.num.stream.threads=1",
                // A killed member holds its partitions until its session times out: keep that short here.
                "streams.main.consumer.session.timeout.ms=6000",
                "streams.main.consumer.heartbeat.interval.ms=1500"));
        Enforcer.createTopics(EnforcerConfig.load(config, Map.of()));

        // Produce the events (and some duplicates) before and while the enforcer runs.
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses(); // as any app building events with the generated builders must
        // Events are a pure function of their index, so nothing needs to be held in memory.
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        Properties pp = cluster.clientProperties();
        pp.put("acks", "all");
        pp.put("linger.ms", "20");
        pp.put("batch.size", Integer.toString(256 * 1024));
        try (KafkaProducer<String, LlmCallEvent> producer = new KafkaProducer<>(pp, new StringSerializer(), new ConfluentAvroSerializer<>(client, true))) {
            for (int i = 0; i < EVENTS; i++) {
                LlmCallEvent e = event(i);
                producer.send(new ProducerRecord<>(topics.events(), e.getEventId(), e));
            }
            for (int i = 0; i < DUPLICATES; i++) {
                LlmCallEvent e = event(i * 97 % EVENTS);
                producer.send(new ProducerRecord<>(topics.events(), e.getEventId(), e));
            }
        }

        // Run, kill -9 at a quarter, a half and three quarters, restart, and run to the end.
        Process p = start(config, dir, 0);
        for (int kill = 1; kill <= 3; kill++) {
            long target = (long) EVENTS * kill / 4;
            waitFor(() -> committedCount(cluster, topics.priced()) >= target, Duration.ofMinutes(4), "priced >= " + target, p, dir);
            p.destroyForcibly(); // SIGKILL: no close(), no offset commit, open transactions abandoned
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            p = start(config, dir, kill);
        }
        Set<String> pricedIds = new HashSet<>();
        List<String> duplicatesSeen = new ArrayList<>();
        Process last = p;
        // Markers make offsets overcount records a little: wait until the offsets pass the total, then read.
        waitFor(() -> committedCount(cluster, topics.priced()) >= EVENTS, Duration.ofMinutes(5), "all events priced", last, dir);
        waitFor(() -> {
            pricedIds.clear();
            duplicatesSeen.clear();
            CommittedRecords.read(cluster, topics.priced(), (t, b) -> b, r -> {
                if (!pricedIds.add(r.key())) {
                    duplicatesSeen.add(r.key());
                }
            });
            return pricedIds.size() >= EVENTS;
        }, Duration.ofMinutes(5), "all events priced", last, dir);
        // Expected: the engine offline over the distinct events (crossing ids do not depend on which event crossed).
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(bundle).bundle());
        BudgetLedger ledger = new BudgetLedger();
        Set<String> expectedViolationIds = new HashSet<>();
        BigDecimal expectedTotal = BigDecimal.ZERO;
        for (int i = 0; i < EVENTS; i++) {
            var evaluation = engine.evaluate(LlmCalls.from(event(i)));
            evaluation.findings().stream().filter(f -> !f.advice()).forEach(f -> expectedViolationIds.add(f.id()));
            for (var c : evaluation.budgetContributions()) {
                ledger.record(c, dev.llmaudit.policy.model.Severity.MEDIUM).forEach(f -> expectedViolationIds.add(f.id()));
            }
            if (evaluation.pricing().total() != null) {
                expectedTotal = expectedTotal.add(evaluation.pricing().total().setScale(12, java.math.RoundingMode.HALF_EVEN));
            }
        }

        // The budget sub-topology runs behind the priced one (its input is a repartition topic): wait for it.
        waitFor(() -> {
            Set<String> seen = new HashSet<>();
            CommittedRecords.read(cluster, topics.violations(), (t, b) -> b, r -> seen.add(r.key()));
            return seen.containsAll(expectedViolationIds);
        }, Duration.ofMinutes(3), "every expected violation", last, dir);
        // Statuses are written every budget.status.interval (1 s) for the budgets that changed: wait for the last ones.
        waitFor(() -> {
            Map<String, BudgetStatus> latest = new HashMap<>();
            CommittedRecords.read(cluster, topics.budgetStatus(), new ConfluentAvroDeserializer<>(client, BudgetStatus.class),
                    r -> latest.put(r.key(), r.value()));
            return ledger.states().entrySet().stream().allMatch(e -> latest.containsKey(e.getKey())
                    && latest.get(e.getKey()).getSpent().getAmount().compareTo(e.getValue().spent()) == 0);
        }, Duration.ofMinutes(1), "every budget status at its final total", last, dir);
        last.destroy();
        assertThat(last.waitFor(60, TimeUnit.SECONDS)).isTrue();

        List<PolicyViolation> violations = new ArrayList<>();
        CommittedRecords.read(cluster, topics.violations(), new ConfluentAvroDeserializer<>(client, PolicyViolation.class), r -> violations.add(r.value()));
        Map<String, BudgetStatus> latestBudget = new HashMap<>();
        CommittedRecords.read(cluster, topics.budgetStatus(), new ConfluentAvroDeserializer<>(client, BudgetStatus.class), r -> latestBudget.put(r.key(), r.value()));
        long[] pricedCount = {0};
        BigDecimal[] pricedTotal = {BigDecimal.ZERO};
        CommittedRecords.read(cluster, topics.priced(), new ConfluentAvroDeserializer<>(client, PricedLlmCall.class), r -> {
            pricedCount[0]++;
            if (r.value().getCost() != null) {
                pricedTotal[0] = pricedTotal[0].add(r.value().getCost().getAmount());
            }
        });

        assertThat(pricedCount[0]).as("every event priced exactly once (duplicates removed, no crash replays)").isEqualTo(EVENTS);
        assertThat(duplicatesSeen).isEmpty();
        List<String> ids = violations.stream().map(PolicyViolation::getViolationId).toList();
        Set<String> distinct = new HashSet<>(ids);
        assertThat(ids.size() - distinct.size()).as("violations delivered more than once").isZero();
        Set<String> missing = new HashSet<>(expectedViolationIds);
        missing.removeAll(distinct);
        Set<String> unexpected = new HashSet<>(distinct);
        unexpected.removeAll(expectedViolationIds);
        assertThat(missing).as("violations the engine finds offline but the enforcer did not emit").isEmpty();
        assertThat(unexpected).as("violations the enforcer emitted that the engine does not find").isEmpty();
        assertThat(distinct).hasSizeGreaterThan(1000);
        assertThat(latestBudget).hasSameSizeAs(ledger.states());
        for (Map.Entry<String, BudgetLedger.State> e : ledger.states().entrySet()) {
            assertThat(latestBudget.get(e.getKey())).as(e.getKey()).isNotNull();
            assertThat(latestBudget.get(e.getKey()).getSpent().getAmount()).as("spent " + e.getKey()).isEqualByComparingTo(e.getValue().spent());
            assertThat(latestBudget.get(e.getKey()).getUnpricedCalls()).isEqualTo(e.getValue().unpricedCalls());
        }
        assertThat(pricedTotal[0]).as("total priced cost, to the 10^-12").isEqualByComparingTo(expectedTotal);
    }

    static LlmCallEvent event(int i) {
        return events(i, new Random(i * 31L + 7));
    }

    static LlmCallEvent events(int i, Random rnd) {
        String[][] routes = {
                {"aws", "eu-central-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                {"aws", "eu-central-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                {"aws", "us-east-1", "openai.gpt-oss-120b-1:0", null},
                {"azure", "swedencentral", "gpt-5.5", "data_zone"},
                {"azure", "swedencentral", "gpt-5.5", "global"},
                {"openai", null, "gpt-5.5", null},
                {"openai", null, "private-finetune", null},
        };
        String[] tenants = {"acme-eu", "globex-us"};
        String[] teams = {"search", "claims", "ads"};
        String[] classes = {"internal", "pii", "public"};
        Instant start = Instant.parse("2026-10-20T00:00:00Z");
        {
            String[] r = routes[rnd.nextInt(routes.length)];
            return LlmCallEvent.newBuilder().setEventId("ev-" + i).setEventTime(start.plusSeconds(i * 13L + rnd.nextInt(600)))
                    .setTenant(tenants[rnd.nextInt(2)]).setTeam(teams[rnd.nextInt(3)]).setEnvironment(rnd.nextInt(10) == 0 ? "prod" : "dev")
                    .setCloud(Cloud.valueOf(r[0])).setRegion(r[1]).setRequestModel(r[2])
                    .setDeploymentScope(r[3] == null ? null : DeploymentScope.valueOf(r[3]))
                    .setDataClassification(classes[rnd.nextInt(3)]).setInputTokens((long) rnd.nextInt(200_000))
                    .setOutputTokens((long) rnd.nextInt(20_000)).build();
        }
    }

    static Process start(Path config, Path dir, int run) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), EnforcerMain.class.getName(), config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("enforcer-" + run + ".log").toFile()).start();
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check c, Duration timeout, String what, Process p, Path dir) throws Exception {
        waitFor(c, timeout, what, p::isAlive, dir);
    }

    /** Polls until the check holds; fails at once if the enforcer is gone, or at the timeout. */
    static void waitFor(Check c, Duration timeout, String what, java.util.function.BooleanSupplier alive, Path dir) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!c.ok()) {
            if (!alive.getAsBoolean()) {
                throw new AssertionError("enforcer exited while waiting for " + what + "; logs in " + dir);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; logs in " + dir);
            }
            Thread.sleep(500);
        }
    }

    /** Progress: the last stable offsets of the topic (they include transaction markers: good enough to decide when to kill). */
    static long committedCount(KafkaCluster cluster, String topic) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(cluster.clientProperties())) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> specs = new HashMap<>();
            partitions.forEach(p -> specs.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest()));
            var offsets = admin.listOffsets(specs, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get();
            return offsets.values().stream().mapToLong(o -> o.offset()).sum();
        }
    }
}
