package dev.llmaudit.ingest.bench;

import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.gateway.ApiKeys;
import dev.llmaudit.ingest.gateway.GatewayConfig;
import dev.llmaudit.ingest.gateway.IngestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load benchmark of the HTTP ingest gateway (a bench command, not a test): an in-JVM broker,
 * registry and gateway, and a Java load generator posting NDJSON batches of 500 events.
 * Phase 1, steady: 8 concurrent senders (one per in-flight slot) for 20 s; prints events/s and latency. Phase 2, overload:
 * 48 concurrent senders against 8 in-flight slots; prints the status counts (only 202 and 503 are
 * acceptable). Everything shares this machine's 2 cores, so figures are a floor, not a ceiling.
 * Run: {@code ./mvnw -B -Pbench -DskipTests -pl ingest -am verify}.
 */
public final class IngestLoadBench {
    public static void main(String[] args) throws Exception {
        int batch = 500;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startTemporary();
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers())) {
            broker.createTopic("llm.events", 6, Map.of());
            String key = "lla_bench";
            GatewayConfig config = GatewayConfig.defaults(broker.bootstrapServers(), registry.url()).withPorts("127.0.0.1", 0, 0)
                    .withLimits(16L * 1024 * 1024, 10_000, 8, 4, Duration.ofSeconds(15)).withTransactionalIdPrefix("bench");
            try (IngestGateway gateway = IngestGateway.start(config, ApiKeys.of(Map.of(ApiKeys.sha256(key), "bench")))) {
                URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/v1/events");
                run("warm-up", uri, key, batch, 4, Duration.ofSeconds(5));
                Result steady = run("steady", uri, key, batch, 8, Duration.ofSeconds(20));
                Result overload = run("overload", uri, key, batch, 48, Duration.ofSeconds(10));
                System.out.printf("%nRESULT steady (8 senders): %,.0f events/s accepted (%d requests of %d events, p50 %.1f ms, p99 %.1f ms), statuses %s%n",
                        steady.eventsPerSecond(), steady.requests, batch, steady.p(50), steady.p(99), steady.statuses);
                System.out.printf("RESULT overload (48 senders, 8 in-flight slots): %,.0f events/s accepted, statuses %s%n",
                        overload.eventsPerSecond(), overload.statuses);
                boolean only202and503 = overload.statuses.keySet().stream().allMatch(s -> s == 202 || s == 503);
                System.out.println("RESULT overload answered only 202 or 503: " + only202and503);
            }
        }
    }

    record Result(long accepted, long requests, double seconds, Map<Integer, Long> statuses, List<Long> latenciesNanos) {
        double eventsPerSecond() {
            return accepted / seconds;
        }

        double p(int percentile) {
            if (latenciesNanos.isEmpty()) {
                return Double.NaN;
            }
            List<Long> sorted = new ArrayList<>(latenciesNanos);
            sorted.sort(null);
            return sorted.get(Math.min(sorted.size() - 1, sorted.size() * percentile / 100)) / 1e6;
        }
    }

    static Result run(String name, URI uri, String key, int batch, int senders, Duration duration) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Map<Integer, Long> statuses = new ConcurrentHashMap<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong seq = new AtomicLong();
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<String, Long> errors = new ConcurrentHashMap<>();
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int s = 0; s < senders; s++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    StringBuilder body = new StringBuilder(batch * 200);
                    for (int i = 0; i < batch; i++) {
                        body.append("{\"event_id\":\"").append(name).append('-').append(seq.incrementAndGet())
                                .append("\",\"event_time\":\"").append(java.time.Instant.now())
                                .append("\",\"cloud\":\"azure\",\"region\":\"swedencentral\",")
                                .append("\"deployment_scope\":\"data_zone\",\"request_model\":\"gpt-5.5\",\"input_tokens\":1200,\"output_tokens\":300,")
                                .append("\"team\":\"search\",\"app\":\"bench\",\"data_classification\":\"internal\"}\n");
                    }
                    long started = System.nanoTime();
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key)
                                .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        statuses.merge(r.statusCode(), 1L, Long::sum);
                        requests.incrementAndGet();
                        if (r.statusCode() == 202) {
                            accepted.addAndGet(batch);
                            latencies.add(System.nanoTime() - started);
                        } else if (r.statusCode() == 503) {
                            Thread.sleep(50);
                        }
                    } catch (Exception e) {
                        statuses.merge(-1, 1L, Long::sum);
                        errors.merge(e.getClass().getSimpleName() + ": " + e.getMessage(), 1L, Long::sum);
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!errors.isEmpty()) {
            System.out.println(name + ": client-side errors " + errors);
        }
        System.out.printf("%s: %,d events accepted in %.1f s by %d senders; statuses %s%n", name, accepted.get(), seconds, senders, new TreeMap<>(statuses));
        return new Result(accepted.get(), requests.get(), seconds, new TreeMap<>(statuses), latencies);
    }
}
