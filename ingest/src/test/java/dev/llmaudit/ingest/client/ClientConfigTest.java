package dev.llmaudit.ingest.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ClientConfigTest {
    @Test
    void propertiesAndEnvironmentBindToTheSameConfig() {
        Properties p = new Properties();
        p.setProperty("llm-audit.bootstrap.servers", "kafka:9092");
        p.setProperty("llm-audit.schema.registry.url", "http://registry:8081");
        p.setProperty("llm-audit.spool.dir", "/var/spool/llm-audit");
        p.setProperty("llm-audit.spool.fsync", "always");
        p.setProperty("llm-audit.spool.full.policy", "drop_newest");
        p.setProperty("llm-audit.app", "claims");
        p.setProperty("llm-audit.producer.linger.ms", "20");
        ClientConfig fromFile = ClientConfig.fromProperties(p);
        ClientConfig fromEnv = ClientConfig.fromEnvironment(Map.of(
                "LLM_AUDIT_BOOTSTRAP_SERVERS", "kafka:9092", "LLM_AUDIT_SCHEMA_REGISTRY_URL", "http://registry:8081",
                "LLM_AUDIT_SPOOL_DIR", "/var/spool/llm-audit", "LLM_AUDIT_SPOOL_FSYNC", "always",
                "LLM_AUDIT_SPOOL_FULL_POLICY", "drop_newest", "LLM_AUDIT_APP", "claims"));

        assertThat(fromFile.bootstrapServers()).isEqualTo("kafka:9092").isEqualTo(fromEnv.bootstrapServers());
        assertThat(fromFile.spoolDir()).isEqualTo(Path.of("/var/spool/llm-audit")).isEqualTo(fromEnv.spoolDir());
        assertThat(fromFile.fsync()).isEqualTo(ClientConfig.Fsync.ALWAYS).isEqualTo(fromEnv.fsync());
        assertThat(fromFile.spoolFullPolicy()).isEqualTo(ClientConfig.SpoolFullPolicy.DROP_NEWEST);
        assertThat(fromFile.defaults()).isEqualTo(Map.of("app", "claims")).isEqualTo(fromEnv.defaults());
        assertThat(fromFile.registry()).containsEntry("schema.registry.url", "http://registry:8081");
        assertThat(fromFile.producer()).containsEntry("linger.ms", "20");
        assertThat(fromFile.topic()).isEqualTo("llm.events");
        assertThat(fromFile.deliveryTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void mistakesAreNamed() {
        Properties typo = new Properties();
        typo.setProperty("llm-audit.spool.max.byte", "10");
        assertThatThrownBy(() -> ClientConfig.fromProperties(typo)).hasMessageStartingWith("unknown llm-audit client settings [spool.max.byte]");
        assertThatThrownBy(() -> ClientConfig.fromEnvironment(Map.of("LLM_AUDIT_SPOOL_FSYNC", "sometimes")))
                .hasMessage("spool.fsync: invalid value \"sometimes\" (always | interval | never.)");
        assertThatThrownBy(() -> ClientConfig.builder().producer("acks", "1").build())
                .hasMessage("producer.acks cannot be overridden: the client needs acks as it sets it");
        assertThat(ClientConfig.builder().hmacKey(new byte[] {1}).build().toString()).doesNotContain("[B").contains("hmac=on");
    }
}
