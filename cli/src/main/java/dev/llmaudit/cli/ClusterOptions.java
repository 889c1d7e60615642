package dev.llmaudit.cli;

import dev.llmaudit.schemas.kafka.KafkaSecurity;
import dev.llmaudit.schemas.registry.RegistryConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Where Kafka and the schema registry are, and how to connect to them: the same flags and
 * environment variables for every command, so that every admin, producer and consumer a command
 * creates (topic creation, publishing, tails) connects with the same TLS/SASL settings.
 */
final class ClusterOptions {
    /** {@code LLM_AUDIT_KAFKA_SASL_JAAS_CONFIG} -> {@code sasl.jaas.config}: connection settings from the environment. */
    static final String KAFKA_ENV_PREFIX = "LLM_AUDIT_KAFKA_";

    @Option(names = "--bootstrap-servers", defaultValue = "${env:LLM_AUDIT_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (LLM_AUDIT_BOOTSTRAP_SERVERS). Default: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Option(names = "--kafka-config", paramLabel = "FILE", defaultValue = "${env:LLM_AUDIT_KAFKA_CONFIG}",
            description = {"Client properties for TLS/SASL (LLM_AUDIT_KAFKA_CONFIG): Kafka's security.protocol, sasl.*, ssl.*, and the",
                    "registry's schema.registry.ssl.truststore.location/.password/.type and basic.auth.user.info.",
                    "Kafka's can also come from LLM_AUDIT_KAFKA_<KEY>, e.g. LLM_AUDIT_KAFKA_SASL_JAAS_CONFIG (environment wins)."})
    Path kafkaConfig;

    @Option(names = "--schema-registry-url", defaultValue = "${env:LLM_AUDIT_SCHEMA_REGISTRY_URL:-http://localhost:8081}",
            description = "Confluent-compatible schema registry (LLM_AUDIT_SCHEMA_REGISTRY_URL). Default: ${DEFAULT-VALUE}.")
    String registryUrl;

    @Option(names = "--registry-user-info", defaultValue = "${env:LLM_AUDIT_SCHEMA_REGISTRY_USER_INFO}",
            description = "user:password for the registry (LLM_AUDIT_SCHEMA_REGISTRY_USER_INFO).")
    String registryUserInfo;

    @Option(names = "--registry-truststore", paramLabel = "FILE", defaultValue = "${env:LLM_AUDIT_SCHEMA_REGISTRY_TRUSTSTORE}",
            description = "PKCS12 trust store for a registry behind TLS with a private CA (LLM_AUDIT_SCHEMA_REGISTRY_TRUSTSTORE;"
                    + " password from LLM_AUDIT_SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD).")
    Path registryTrustStore;

    /** Kafka connection settings from {@code --kafka-config} and {@code LLM_AUDIT_KAFKA_*} (environment wins). */
    Map<String, String> kafkaClient() throws IOException {
        return kafkaClient(kafkaConfig, System.getenv());
    }

    static Map<String, String> kafkaClient(Path file, Map<String, String> env) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            p.stringPropertyNames().stream().filter(k -> !k.startsWith("schema.registry.") && !k.startsWith("basic.auth."))
                    .forEach(k -> out.put(k, p.getProperty(k)));
        }
        env.forEach((name, value) -> {
            if (name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length() && !name.equals("LLM_AUDIT_KAFKA_CONFIG")) {
                String key = name.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (KafkaSecurity.isConnectionSetting(key)) {
                    out.put(key, value);
                }
            }
        });
        return out;
    }

    /** Registry client settings: URL, basic auth, trust store (flags and environment, else the --kafka-config file). */
    Map<String, String> registry() throws IOException {
        Map<String, String> r = new LinkedHashMap<>();
        if (kafkaConfig != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(kafkaConfig)) {
                p.load(in);
            }
            for (String k : new String[] {RegistryConfig.BASIC_AUTH_USER_INFO, RegistryConfig.TRUSTSTORE_LOCATION, RegistryConfig.TRUSTSTORE_PASSWORD,
                    RegistryConfig.TRUSTSTORE_TYPE}) {
                if (p.getProperty(k) != null) {
                    r.put(k, p.getProperty(k));
                }
            }
        }
        r.put(RegistryConfig.URL, registryUrl);
        if (registryUserInfo != null) {
            r.put(RegistryConfig.BASIC_AUTH_USER_INFO, registryUserInfo);
        }
        if (registryTrustStore != null) {
            r.put(RegistryConfig.TRUSTSTORE_LOCATION, registryTrustStore.toString());
            String password = System.getenv("LLM_AUDIT_SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD");
            if (password != null) {
                r.put(RegistryConfig.TRUSTSTORE_PASSWORD, password);
            }
        }
        return r;
    }
}
