package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.jobs.PricedCalls;
import dev.llmaudit.policy.avro.LlmCalls;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The shipped jar runs the Flink rollups job in-process (Flink shaded into it) and commits exact rollups. */
@ExtendWith(KafkaClusterExtension.class)
class RollupsCommandIT {
    @Test
    void boundedLocalRunCommitsRollupsOfEveryPricedEvent(KafkaCluster cluster, EmbeddedSchemaRegistry registry, @TempDir Path dir)
            throws Exception {
        Path bundle = Path.of("..", "policies", "bundle").toAbsolutePath().normalize();
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(bundle).bundle());
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String topic = cluster.uniqueTopic("cli-priced");
        cluster.createTopic(topic, 2, Map.of());
        BigDecimal cost = BigDecimal.ZERO;
        int events = 200;
        try (KafkaProducer<String, PricedLlmCall> p = new KafkaProducer<>(cluster.clientProperties(), new StringSerializer(),
                new ConfluentAvroSerializer<>(client, true))) {
            for (int i = 0; i < events; i++) {
                LlmCallEvent e = LlmCallEvent.newBuilder().setEventId("cli-" + i).setStatus(CallStatus.ok)
                        .setEventTime(Instant.parse("2026-11-02T10:00:00Z").plusSeconds(60L * i)).setTenant("acme").setTeam("t" + i % 3)
                        .setCloud(Cloud.openai).setProvider("openai").setRequestModel("gpt-5.5").setInputTokens(1000L + i).setOutputTokens(100L)
                        .build();
                PricedLlmCall priced = PricedCalls.of(e, engine.evaluate(LlmCalls.from(e)), "USD", List.of(), Instant.now());
                cost = cost.add(priced.getCost().getAmount());
                p.send(new ProducerRecord<>(topic, e.getEventId(), priced));
            }
        }
        Path config = dir.resolve("rollups.properties");
        Files.writeString(config, String.join("\n", "bootstrap.servers=" + cluster.bootstrapServers(), "schema.registry.url=" + registry.url(),
                "bundle.dir=" + bundle, "topic.priced=" + topic, "topic.rollups=" + topic + ".rollups", "topic.dlq=" + topic + ".dlq",
                "group.id=" + topic, "transactional.id.prefix=" + topic, "bounded=true", "checkpoint.interval=PT1S"));

        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process run = new ProcessBuilder(javaBin, "-Xmx768m", "-jar", System.getProperty("llmaudit.jar"), "rollups", "run", "--config",
                config.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("rollups.log").toFile()).start();
        boolean ended;
        try {
            ended = run.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            run.destroyForcibly();
        }
        String log = Files.readString(dir.resolve("rollups.log"));
        assertThat(ended).as("bounded run ends; log:%n%s", log).isTrue();
        assertThat(run.exitValue()).as(log).isZero();
        assertThat(log).contains("Rollups job finished");

        Map<String, UsageRollup> latest = new HashMap<>();
        Properties p = cluster.clientProperties();
        p.put("group.id", "check-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        try (KafkaConsumer<String, UsageRollup> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ConfluentAvroDeserializer<>(client, UsageRollup.class))) {
            c.subscribe(List.of(topic + ".rollups"));
            int empty = 0;
            while (empty < 3) {
                var batch = c.poll(Duration.ofMillis(500));
                empty = batch.isEmpty() ? empty + 1 : 0;
                batch.forEach(r -> latest.merge(r.key(), r.value(), (a, b) -> b.getXRevision() >= a.getXRevision() ? b : a));
            }
        }
        for (RollupGranularity g : RollupGranularity.values()) {
            var of = latest.values().stream().filter(r -> r.getXGranularity() == g).toList();
            assertThat(of.stream().mapToLong(UsageRollup::getXRequestCount).sum()).as(g + " requests").isEqualTo(events);
            assertThat(of.stream().map(r -> r.getListCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add))
                    .as(g + " cost").isEqualByComparingTo(cost);
        }
    }
}
