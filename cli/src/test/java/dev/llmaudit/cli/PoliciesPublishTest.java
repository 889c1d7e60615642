package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code llm-audit policies publish} against a real broker: what lands on the topic is the bundle, loadable as the enforcer loads it. */
@ExtendWith(KafkaClusterExtension.class)
class PoliciesPublishTest {
    static List<ConsumerRecord<String, String>> readToEnd(KafkaCluster cluster, String topic) {
        Properties p = cluster.clientProperties();
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void publishesTheBundleToACompactedTopicAsTheEnforcerLoadsIt(KafkaCluster cluster, @TempDir Path dir) throws Exception {
        String topic = cluster.uniqueTopic("llm.policies");
        LlmAuditCommandTest.Run r = LlmAuditCommandTest.run("policies", "publish", PoliciesCommandTest.BUNDLE.toString(), "--topic", topic,
                "--bootstrap-servers", cluster.bootstrapServers());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Published bundle default version 2026.11.1 to " + topic + System.lineSeparator());

        List<ConsumerRecord<String, String>> records = readToEnd(cluster, topic);
        assertThat(records).singleElement().satisfies(rec -> {
            assertThat(rec.key()).isEqualTo("bundle");
            assertThat(rec.value()).isEqualTo(BundleArchive.pack(PoliciesCommandTest.BUNDLE));
            BundleLoader.Result loaded = BundleArchive.load(rec.value());
            assertThat(loaded.problems()).isEmpty();
            assertThat(loaded.bundle().version()).isEqualTo("2026.11.1");
            assertThat(loaded.bundle().policies()).hasSize(10);
        });
        try (Admin admin = Admin.create(cluster.clientProperties())) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            assertThat(admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource).get("cleanup.policy").value())
                    .as("only the latest bundle matters").isEqualTo("compact");
        }

        // A bundle whose test cases check nothing is not published: the topic keeps the good one.
        Path bad = PoliciesCommandTest.copyBundle(dir.resolve("b"));
        Files.writeString(bad.resolve("tests/typo_test.yaml"), """
                tests:
                  - name: misspelt
                    only: [no-such-policy]
                    events:
                      - {event_id: t1, event_time: "2026-11-02T10:00:00Z", cloud: openai, request_model: gpt-5.5}
                    expect: []
                """);
        LlmAuditCommandTest.Run refused = LlmAuditCommandTest.run("policies", "publish", bad.toString(), "--topic", topic,
                "--bootstrap-servers", cluster.bootstrapServers());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("no policy \"no-such-policy\"").contains("not published: 1 problem(s) in the test cases");
        assertThat(readToEnd(cluster, topic)).hasSize(1);
    }
}
