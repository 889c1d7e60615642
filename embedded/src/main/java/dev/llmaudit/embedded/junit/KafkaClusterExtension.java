package dev.llmaudit.embedded.junit;

import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.kafka.KafkaClusters;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a real Kafka cluster and a schema registry on it, injected as parameters:
 * {@code void roundTrip(KafkaCluster cluster, EmbeddedSchemaRegistry registry)}.
 *
 * <p>One cluster and one registry per test JVM (started on first use, closed when the run ends),
 * chosen by {@link KafkaClusters#fromEnvironment()}. Tests isolate themselves with
 * {@link KafkaCluster#uniqueTopic(String)}. A test that stops the broker must start it again.
 */
public final class KafkaClusterExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KafkaClusterExtension.class);
    /** Test registries use their own topic so they never touch a real registry's {@code _schemas}. */
    public static final String TEST_SCHEMAS_TOPIC = "_llm_audit_test_schemas";

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KafkaCluster.class || type == EmbeddedSchemaRegistry.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(NS);
        KafkaCluster cluster = (KafkaCluster) store.getOrComputeIfAbsent("cluster", k -> new Closing(KafkaClusters.fromEnvironment()), Closing.class).value();
        if (parameter.getParameter().getType() == KafkaCluster.class) {
            return cluster;
        }
        return store.getOrComputeIfAbsent("registry",
                k -> new Closing(EmbeddedSchemaRegistry.start(cluster.bootstrapServers(), TEST_SCHEMAS_TOPIC, 0, null)), Closing.class).value();
    }

    /** Closes the value when JUnit closes the root store at the end of the run. */
    private record Closing(AutoCloseable value) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() throws Exception {
            value.close();
        }
    }
}
