package dev.llmaudit.cli.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** How the local run feeds the pipeline: the simulator through the HTTP gateway, a file straight to Kafka. */
final class Ingest {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * Posts simulated calls to the gateway at about {@code perSecond}, grouped per tenant (one API key
     * each), four batches a second, until {@code total} are sent (0 = no limit) or {@code stop} says so. A
     * malformed one is posted on its own every 5 s: the gateway answers 400 with the reason, counted as rejected.
     */
    void simulate(TrafficSimulator sim, String url, Map<String, String> apiKeys, int perSecond, long total, BooleanSupplier stop,
                  Consumer<String> log) throws InterruptedException {
        int perTick = Math.max(1, perSecond / 4);
        long tick = 0;
        while (!stop.getAsBoolean() && (total == 0 || sent.get() < total)) {
            long start = System.nanoTime();
            int n = total == 0 ? perTick : (int) Math.min(perTick, total - sent.get());
            Map<String, List<ObjectNode>> byTenant = new LinkedHashMap<>();
            for (ObjectNode e : sim.batch(n)) {
                byTenant.computeIfAbsent(e.get("tenant").asText(), t -> new ArrayList<>()).add(e);
            }
            for (Map.Entry<String, List<ObjectNode>> b : byTenant.entrySet()) {
                StringBuilder body = new StringBuilder();
                b.getValue().forEach(e -> body.append(e).append('\n'));
                HttpResponse<String> r = post(url, apiKeys.get(b.getKey()), "application/x-ndjson", body.toString());
                if (r != null && r.statusCode() == 202) {
                    sent.addAndGet(b.getValue().size());
                } else {
                    rejected.addAndGet(b.getValue().size());
                    log.accept("gateway refused a batch: " + (r == null ? "no answer" : r.statusCode() + " " + r.body()));
                }
            }
            if (++tick % 20 == 2) {
                HttpResponse<String> r = post(url, apiKeys.get("acme"), "application/json",
                        "{\"event_id\":\"malformed-" + tick + "\",\"event_time\":\"yesterday\",\"input_tokens\":-5}");
                if (r != null && r.statusCode() == 400) {
                    rejected.incrementAndGet();
                }
            }
            long sleep = 250 - (System.nanoTime() - start) / 1_000_000;
            if (sleep > 0) {
                Thread.sleep(sleep);
            }
        }
    }

    private HttpResponse<String> post(String url, String key, String type, String body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + key).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Produces every valid line of a file of canonical JSON events to the events topic (keyed by
     * event_id, idempotent producer). Invalid lines are reported with their line number and skipped.
     */
    void replay(Path file, Properties client, SchemaRegistryClient registry, String topic, Consumer<String> log) throws IOException {
        Properties p = new Properties();
        p.putAll(client);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "10");
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             KafkaProducer<String, LlmCallEvent> producer = new KafkaProducer<>(p, new StringSerializer(),
                     new ConfluentAvroSerializer<>(registry, true))) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                EventParseResult r = LlmCallEventJson.parse(line);
                if (!r.isValid()) {
                    rejected.incrementAndGet();
                    log.accept(file + ":" + number + ": " + r.errorSummary() + " (line skipped)");
                    continue;
                }
                producer.send(new ProducerRecord<>(topic, r.event().getEventId(), r.event()));
                sent.incrementAndGet();
            }
            producer.flush();
        }
    }

    /** Writes records that are not events at all, as a buggy producer might: the enforcer must dead-letter them. */
    static void corrupt(Properties client, String topic, int count) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "corrupt-" + i, ("{\"not\":\"avro\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }
}
