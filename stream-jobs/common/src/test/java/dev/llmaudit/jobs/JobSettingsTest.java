package dev.llmaudit.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings from a file and the environment: environment wins, pass-through keys too, typos are refused. */
class JobSettingsTest {
    @Test
    void environmentOverridesTheFileAndCarriesPassThroughSecrets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nstreams.num.stream.threads=2\n");
        JobSettings s = JobSettings.load(file, Map.of("LLM_AUDIT_BOOTSTRAP_SERVERS", "env:9092",
                "LLM_AUDIT_JOB_STREAMS_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "LLM_AUDIT_OTHER_STREAMS_X", "not ours"), "LLM_AUDIT_JOB_", List.of("bootstrap.servers"), "streams.");
        assertThat(s.get("bootstrap.servers", null)).isEqualTo("env:9092");
        assertThat(s.passthrough("streams.")).containsEntry("num.stream.threads", "2")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .hasSize(2);
    }

    @Test
    void anUnknownKeyInTheFileIsAnErrorNamingTheKnownOnes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "bootstrap.server=x\n");
        assertThatThrownBy(() -> JobSettings.load(file, Map.of(), "LLM_AUDIT_JOB_", List.of("bootstrap.servers"), "streams."))
                .hasMessageContaining("unknown setting \"bootstrap.server\"").hasMessageContaining("bootstrap.servers");
    }
}
