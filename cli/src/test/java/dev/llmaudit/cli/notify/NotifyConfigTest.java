package dev.llmaudit.cli.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.PolicyKind;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class NotifyConfigTest {
    static NotifyConfig parse(String yaml, Map<String, String> env) {
        return NotifyConfig.parse(new Yaml().load(yaml), env, "notify.yaml");
    }

    @Test
    void readsWebhooksFiltersRetryAndEnvironmentReferences() {
        NotifyConfig c = parse("""
                retry: {attempts: 3, initial.backoff: 500ms, max.backoff: PT30S}
                webhooks:
                  - {name: a, url: "https://hooks.example.com/${env:PATH_PART}", secret: "${env:S}", min.severity: HIGH, tenants: acme}
                """, Map.of("PATH_PART", "x1", "S", "k"));
        NotifyConfig.Webhook w = c.webhooks().get(0);
        assertThat(w.url().toString()).isEqualTo("https://hooks.example.com/x1");
        assertThat(w.secret()).isEqualTo("k");
        assertThat(w.minSeverity()).isEqualTo(Severity.high);
        assertThat(w.tenants()).isEqualTo(Set.of("acme"));
        assertThat(w.format()).isEqualTo(NotifyConfig.Format.json);
        assertThat(c.retry()).isEqualTo(new NotifyConfig.Retry(3, Duration.ofMillis(500), Duration.ofSeconds(30)));
        assertThat(c.groupId()).isEqualTo("llm-audit-notify");
        assertThat(c.start()).isEqualTo("latest");
        assertThat(w.toString()).as("no secret or path in logs").doesNotContain("x1").doesNotContain("\"k\"").contains("signed");
    }

    @Test
    void mistakesAreNamedWithTheirPlace() {
        assertThatThrownBy(() -> parse("webhooks: []", Map.of())).hasMessageContaining("at least one webhook");
        assertThatThrownBy(() -> parse("webhooks: [{name: a, url: ftp://x}]", Map.of())).hasMessageContaining("webhooks[0].url");
        assertThatThrownBy(() -> parse("webhooks: [{name: a, url: 'https://x', sevrity: high}]", Map.of()))
                .hasMessageContaining("webhooks[0]: unknown key sevrity");
        assertThatThrownBy(() -> parse("webhooks: [{name: a, url: 'https://x', secret: '${env:NOPE}'}]", Map.of()))
                .hasMessageContaining("webhooks[0].secret: environment variable NOPE is not set");
        assertThatThrownBy(() -> parse("webhooks: [{name: a, url: 'https://x'}, {name: a, url: 'https://y'}]", Map.of()))
                .hasMessageContaining("webhooks[1].name: required and unique");
        assertThatThrownBy(() -> parse("retry: {attempts: 0}\nwebhooks: [{name: a, url: 'https://x'}]", Map.of()))
                .hasMessageContaining("retry.attempts: between 1 and 20");
        assertThatThrownBy(() -> parse("webhooks: [{name: a, url: 'https://x', timeout: forever}]", Map.of()))
                .hasMessageContaining("webhooks[0].timeout: a duration");
    }

    @Test
    void everyGivenFilterMustMatch() {
        NotifyConfig.Webhook w = parse("webhooks: [{name: a, url: 'https://x', min.severity: medium, policies: [p1], kinds: [residency]}]",
                Map.of()).webhooks().get(0);
        PolicyViolation.Builder v = PolicyViolation.newBuilder().setViolationId("v").setPolicyId("p1").setPolicyKind(PolicyKind.residency)
                .setSeverity(Severity.medium).setMessage("m").setDetectedAt(Instant.EPOCH).setCloud(Cloud.aws);
        assertThat(Webhooks.wants(w, v.build())).isTrue();
        assertThat(Webhooks.wants(w, v.setSeverity(Severity.low).build())).isFalse();
        assertThat(Webhooks.wants(w, v.setSeverity(Severity.critical).setPolicyId("p2").build())).isFalse();
        assertThat(Webhooks.wants(w, v.setPolicyId("p1").setPolicyKind(PolicyKind.budget).build())).isFalse();
    }
}
