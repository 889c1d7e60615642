package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's Kafka client security settings: from a file and LLM_AUDIT_INGEST_KAFKA_* (environment wins). */
class IngestKafkaSettingsTest {
    @Test
    void fileThenEnvironment(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("kafka.properties");
        Files.writeString(f, "security.protocol=SSL\nssl.truststore.location=/etc/ts.jks\n");
        Map<String, String> s = IngestCommand.Serve.kafkaClientSettings(f, Map.of("LLM_AUDIT_INGEST_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "LLM_AUDIT_INGEST_KAFKA_SASL_JAAS_CONFIG", "x required;", "LLM_AUDIT_INGEST_PORT", "8088"));
        assertThat(s).containsExactlyInAnyOrderEntriesOf(Map.of("security.protocol", "SASL_SSL", "ssl.truststore.location", "/etc/ts.jks",
                "sasl.jaas.config", "x required;"));
        assertThat(IngestCommand.Serve.kafkaClientSettings(null, Map.of())).isEmpty();
    }
}
