package dev.llmaudit.jobs;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics a job needs when they are missing; existing topics are never changed. */
public final class Topics {
    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);

    /** A topic as the jobs expect it: compacted topics keep the latest value per key. */
    public record Spec(String name, int partitions, boolean compacted) {}

    private Topics() {}

    /** @throws IllegalStateException naming the cluster when it cannot be reached or refuses */
    public static void ensure(String bootstrapServers, Collection<Spec> specs) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Spec s : specs) {
                if (!existing.contains(s.name())) {
                    NewTopic n = new NewTopic(s.name(), Optional.of(s.partitions()), Optional.empty());
                    if (s.compacted()) {
                        n.configs(Map.of("cleanup.policy", "compact"));
                    }
                    missing.add(n);
                }
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // Another instance created it first: fine.
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
                LOG.info("Created topics {}", missing.stream().map(NewTopic::name).toList());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics at " + bootstrapServers, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot check or create topics " + specs.stream().map(Spec::name).toList() + " at "
                    + bootstrapServers + " (is Kafka reachable?): " + e.getMessage(), e);
        }
    }
}
