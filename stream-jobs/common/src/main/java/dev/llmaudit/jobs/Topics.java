package dev.llmaudit.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The topics as {@code deploy/topics.yaml} defines them (packaged as {@code llm-audit/topics.yaml}),
 * and creating the missing ones. Existing topics are never changed.
 */
public final class Topics {
    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
    static final String RESOURCE = "/llm-audit/topics.yaml";

    /** One topic's definition. {@code retention} is null for compacted topics. */
    public record Definition(String name, int partitions, boolean compacted, Duration retention, String key, String value) {
        /** The topic configs to create it with. */
        public Map<String, String> configs() {
            return compacted ? Map.of("cleanup.policy", "compact")
                    : Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()));
        }
    }

    private static final Map<String, Definition> DEFINITIONS = load();

    private Topics() {}

    /** Every defined topic, by name, in file order. */
    public static Map<String, Definition> definitions() {
        return DEFINITIONS;
    }

    /** The definition of a defined topic name (the role a topic plays, whatever it is called in a deployment). */
    public static Definition definition(String definedName) {
        Definition d = DEFINITIONS.get(definedName);
        if (d == null) {
            throw new IllegalArgumentException("topic " + definedName + " is not defined in deploy/topics.yaml (defined: " + DEFINITIONS.keySet() + ")");
        }
        return d;
    }

    /**
     * Creates the missing ones of these topics as defined.
     *
     * @param actualByDefined the name each defined topic has here (deployments and tests may rename them),
     *     keyed by its name in {@code topics.yaml}
     * @param partitions overrides the defined partition count of multi-partition topics (small local setups), or null
     * @param client the component's Kafka client settings; its TLS/SASL settings are used here too
     * @throws IllegalStateException naming the cluster when it cannot be reached or refuses
     */
    public static void ensure(String bootstrapServers, Map<String, String> client, Map<String, String> actualByDefined, Integer partitions) {
        Properties p = new Properties();
        p.putAll(dev.llmaudit.schemas.kafka.KafkaSecurity.of(client));
        p.put("bootstrap.servers", bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Map.Entry<String, String> e : actualByDefined.entrySet()) {
                if (!existing.contains(e.getValue())) {
                    Definition d = definition(e.getKey());
                    int n = partitions == null || d.partitions() == 1 ? d.partitions() : partitions;
                    missing.add(new NewTopic(e.getValue(), Optional.of(n), Optional.empty()).configs(d.configs()));
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
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot check or create topics " + actualByDefined.values() + " at " + bootstrapServers
                    + " (is Kafka reachable?): " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Definition> load() {
        try (InputStream in = Topics.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path (it is deploy/topics.yaml, packaged by the build)");
            }
            Map<String, Object> root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            Map<String, Definition> out = new LinkedHashMap<>();
            ((Map<String, Map<String, Object>>) root.get("topics")).forEach((name, t) -> {
                boolean compacted = "compact".equals(t.get("cleanup"));
                Object retention = t.get("retention");
                if (!compacted && retention == null) {
                    throw new IllegalStateException("topics.yaml: " + name + " deletes old records but has no retention");
                }
                out.put(name, new Definition(name, ((Number) t.get("partitions")).intValue(), compacted,
                        retention == null ? null : Duration.parse(retention.toString()), String.valueOf(t.get("key")), String.valueOf(t.get("value"))));
            });
            return java.util.Collections.unmodifiableMap(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
