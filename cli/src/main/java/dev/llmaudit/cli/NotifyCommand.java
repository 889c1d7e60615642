package dev.llmaudit.cli;

import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.cli.notify.Notifier;
import dev.llmaudit.cli.notify.NotifyConfig;
import dev.llmaudit.cli.notify.Webhooks;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.PrintWriter;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llm-audit notify}: violations and budget threshold crossings to webhooks (generic signed JSON, Slack). */
@Command(name = "notify", mixinStandardHelpOptions = true,
        description = {"Follow violations and budget threshold crossings (llm.violations) and post them to webhooks: generic JSON",
                "signed with HMAC-SHA256, or Slack messages; filters by severity, policy, tenant and kind. At most one post per",
                "violation id and webhook, also across restarts (offsets committed once a record's posts are done; a stop in the",
                "middle of a record's posts repeats them on the next start, same X-LlmAudit-Delivery id); retries with backoff;",
                "what cannot be delivered is logged and kept as a dead letter (stage notify) on the dead-letter topic.",
                "Example config: see the cli README, section notify."})
final class NotifyCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ClusterOptions cluster;

    @Option(names = "--config", paramLabel = "FILE", required = true, defaultValue = "${env:LLM_AUDIT_NOTIFY_CONFIG}",
            description = "Webhooks and filters, YAML (LLM_AUDIT_NOTIFY_CONFIG); ${env:NAME} in values reads the environment.")
    Path config;

    @Option(names = "--topic", description = "Violations topic. Default: ${DEFAULT-VALUE}.", defaultValue = "llm.violations")
    String topic;

    @Option(names = "--dlq-topic", description = "Where undeliverable notifications are kept. Default: ${DEFAULT-VALUE}.",
            defaultValue = "llm.events.dlq")
    String dlqTopic;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        NotifyConfig cfg;
        try {
            cfg = NotifyConfig.load(config, System.getenv());
        } catch (IllegalArgumentException | java.io.IOException e) {
            err.println("llm-audit notify: " + e.getMessage());
            return 2;
        }
        Properties client = new Properties();
        client.putAll(cluster.kafkaClient());
        client.put("bootstrap.servers", cluster.bootstrap);
        SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.fromMap(Map.copyOf(cluster.registry())));
        try (Running r = Running.start(cfg, client, registry, topic, dlqTopic)) {
            Thread main = Thread.currentThread();
            Thread hook = new Thread(() -> {
                r.notifier().stop();
                main.interrupt();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            err.println("llm-audit notify: following " + topic + " as group " + cfg.groupId() + " for " + cfg.webhooks().size()
                    + " webhook(s): " + cfg.webhooks());
            try {
                r.notifier().run();
            } catch (InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
                // Ctrl-C: the record in progress is not committed and will be handled on the next start
            }
            Notifier.Stats s = r.notifier().stats();
            err.println("llm-audit notify: stopped; " + s.violations() + " violations read, " + s.posted() + " posts, " + s.deadLetters()
                    + " dead letters, " + s.skippedDuplicates() + " duplicates skipped");
        }
        return 0;
    }

    /** A notifier wired to Kafka: its consumer (the configured group), the dead-letter producer, the webhooks. */
    record Running(Notifier notifier, KafkaConsumer<String, byte[]> consumer, KafkaProducer<String, DeadLetter> dlq) implements AutoCloseable {
        static Running start(NotifyConfig cfg, Properties client, SchemaRegistryClient registry, String topic, String dlqTopic) {
            Properties consumer = new Properties();
            consumer.putAll(client);
            consumer.put("group.id", cfg.groupId());
            consumer.put("enable.auto.commit", "false");
            consumer.put("auto.offset.reset", cfg.start());
            consumer.put("isolation.level", "read_committed");
            // One record per poll, and a poll interval above the longest one record can take (every webhook out of
            // attempts): a slow receiver never costs the notifier its place in the group.
            consumer.put("max.poll.records", "1");
            consumer.put("max.poll.interval.ms", Long.toString(Math.max(300_000L, cfg.worstCasePerRecord().plusMinutes(1).toMillis())));
            Properties producer = new Properties();
            producer.putAll(client);
            producer.put("acks", "all");
            producer.put("enable.idempotence", "true");
            ConfluentAvroDeserializer<PolicyViolation> violations = new ConfluentAvroDeserializer<>(registry, PolicyViolation.class);
            KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumer, new StringDeserializer(), new ByteArrayDeserializer());
            KafkaProducer<String, DeadLetter> dlq = new KafkaProducer<>(producer, new StringSerializer(), new ConfluentAvroSerializer<>(registry, true));
            c.subscribe(List.of(topic));
            Notifier n = new Notifier(source(c), bytes -> violations.deserialize(topic, bytes), cfg.webhooks(),
                    new Webhooks(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), cfg.retry(), Clock.systemUTC(),
                            d -> Thread.sleep(d.toMillis())),
                    d -> {
                        try {
                            // Waited for: the record's offset is committed next, so the dead letter must be on Kafka first.
                            dlq.send(new ProducerRecord<>(dlqTopic, d.getSourceTopic() + "/" + d.getSourcePartition() + "/" + d.getSourceOffset(), d)).get();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new org.apache.kafka.common.errors.InterruptException(e);
                        } catch (java.util.concurrent.ExecutionException e) {
                            throw new IllegalStateException("cannot write a dead letter to " + dlqTopic + ": " + e.getCause(), e.getCause());
                        }
                    },
                    Clock.systemUTC());
            return new Running(n, c, dlq);
        }

        @Override
        public void close() {
            notifier.stop();
            dlq.close(Duration.ofSeconds(10));
            consumer.close(Duration.ofSeconds(10));
        }
    }

    /** The notifier's view of a KafkaConsumer. */
    static Notifier.Source source(KafkaConsumer<String, byte[]> c) {
        return new Notifier.Source() {
            @Override
            public List<ConsumerRecord<String, byte[]>> poll(Duration timeout) {
                List<ConsumerRecord<String, byte[]>> out = new java.util.ArrayList<>();
                c.poll(timeout).forEach(out::add);
                return out;
            }

            @Override
            public void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
                c.commitSync(offsets);
            }

            @Override
            public void close() {
                c.close();
            }
        };
    }
}
