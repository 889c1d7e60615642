package dev.llmaudit.embedded.kafka;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Kafka cluster that tests and the local all-in-one run talk to: the in-JVM KRaft broker,
 * an external cluster, or a Testcontainers broker. Only the in-JVM broker can be stopped and
 * restarted (for outage tests).
 */
public interface KafkaCluster extends AutoCloseable {
    /** {@code bootstrap.servers} for clients. */
    String bootstrapServers();

    /** A short description for logs, e.g. "in-JVM KRaft broker at 127.0.0.1:41234". */
    String describe();

    /** Client properties with bootstrap.servers set; callers add the rest. */
    default Properties clientProperties() {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return p;
    }

    /** Creates the topic if it does not exist yet (replication factor 1 on a single broker, else the cluster default). */
    default void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = Admin.create(clientProperties())) {
            NewTopic topic = new NewTopic(name, java.util.Optional.of(partitions), java.util.Optional.empty()).configs(configs);
            admin.createTopics(Set.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + " on " + describe() + ": " + e.getCause(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + name, e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + name + " on " + describe(), e);
        }
    }

    /** A topic name no other test uses: prefix plus a random suffix. */
    default String uniqueTopic(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Stops the broker, keeping its data (in-JVM broker only). */
    default void stop() {
        throw new UnsupportedOperationException(describe() + " cannot be stopped by the test");
    }

    /** Starts a stopped broker again on the same port and data (in-JVM broker only). */
    default void start() {
        throw new UnsupportedOperationException(describe() + " cannot be restarted by the test");
    }

    @Override
    void close();
}
