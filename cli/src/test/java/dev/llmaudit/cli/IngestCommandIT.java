package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The shipped jar: create a key, serve, post an event with it, stop with a signal. */
@ExtendWith(KafkaClusterExtension.class)
class IngestCommandIT {
    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    @Test
    void newKeyThenServeAcceptsEventsWithThatKey(KafkaCluster cluster, EmbeddedSchemaRegistry registry, @TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys.txt");
        RunnableJarIT.Result created = RunnableJarIT.java(Path.of(System.getProperty("llmaudit.jar")), "ingest", "new-key", "--tenant", "acme",
                "--keys", keys.toString());
        assertThat(created.exit()).isZero();
        String key = created.out().lines().filter(l -> l.startsWith("lla_")).findFirst().orElseThrow();
        assertThat(Files.readString(keys)).startsWith("sha256:").contains(" acme").doesNotContain(key);

        String topic = cluster.uniqueTopic("cli-ingest");
        cluster.createTopic(topic, 1, Map.of());
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Port 0: the server binds a free port itself and prints it; no probe-then-close race with other processes.
        Process p = new ProcessBuilder(List.of(javaBin, "-Xmx256m", "-jar", System.getProperty("llmaudit.jar"), "ingest", "serve",
                "--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry-url", registry.url(), "--keys", keys.toString(),
                "--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--topic", topic))
                .redirectErrorStream(true).redirectOutput(dir.resolve("gateway.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.readString(dir.resolve("gateway.log")).contains("listening") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String first = Files.readString(dir.resolve("gateway.log"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Ingest gateway listening on http://127\\.0\\.0\\.1:(\\d+)/v1/events").matcher(first);
            assertThat(m.find()).as(first).isTrue();
            int port = Integer.parseInt(m.group(1));
            assertThat(port).isPositive();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/events"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"event_id\":\"cli-1\",\"event_time\":\"" + java.time.Instant.now() + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(() -> r.body() + "\ngateway output:\n" + read(dir.resolve("gateway.log"))).isEqualTo(202);
            var onTopic = dev.llmaudit.cli.local.TopicReader.readAll(cluster.clientProperties(),
                    new dev.llmaudit.schemas.registry.SchemaRegistryClient(dev.llmaudit.schemas.registry.RegistryConfig.of(registry.url())), topic,
                    dev.llmaudit.avro.LlmCallEvent.class);
            assertThat(onTopic).singleElement().satisfies(rec -> {
                assertThat(rec.key()).isEqualTo("cli-1");
                assertThat(rec.value().getTenant()).as("from the key").isEqualTo("acme");
            });
        } finally {
            p.destroy(); // SIGTERM: the shutdown hook stops the gateway
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
