package dev.llmaudit.ingest.bench;

import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.TestEvents;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Caller-thread cost of {@link LlmAuditClient#record} at a paced 100k events/s, with the sender
 * writing to a real (in-JVM) broker. Sample mode reports p50/p99/p99.9 of the call alone (pacing is
 * in an invocation-level setup, outside the measurement: bursts of 128 calls, then a sleep). Target: p99 <= 5 us. Run:
 * {@code ./mvnw -B -Pbench -DskipTests -pl ingest -am verify}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
@Threads(1)
public class LlmAuditClientBenchmark {
    static final long INTERVAL_NANOS = 10_000; // 100k events/s

    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private LlmAuditClient client;
    private LlmCallEvent[] events;
    private int next;
    private long nextSlot;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        broker = EmbeddedKafkaBroker.startTemporary();
        broker.createTopic("llm.events", 3, Map.of());
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers());
        client = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(broker.bootstrapServers()).schemaRegistryUrl(registry.url())
                .spoolDir(Files.createTempDirectory("bench-spool")).build(), new SimpleMeterRegistry());
        events = new LlmCallEvent[1 << 16];
        for (int i = 0; i < events.length; i++) {
            events[i] = TestEvents.event("bench-" + i);
        }
        nextSlot = System.nanoTime();
    }

    /**
     * 100k/s on average, as bursts of 100 calls then a sleep until the schedule catches up: spinning
     * between calls would take a whole core from the sender and broker on this 2-core machine.
     */
    @Setup(Level.Invocation)
    public void pace() {
        nextSlot += INTERVAL_NANOS;
        if ((next & 127) == 0) {
            long wait;
            while ((wait = nextSlot - System.nanoTime()) > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    @Benchmark
    public boolean record() {
        return client.record(events[next++ & (events.length - 1)]);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        LlmAuditClient.Stats s = client.stats();
        System.out.printf("%nclient: recorded=%d sent=%d spooled=%d dropped=%d%n", s.recorded(), s.sent(), s.spooled(), s.dropped());
        client.close();
        registry.close();
        broker.close();
    }
}
