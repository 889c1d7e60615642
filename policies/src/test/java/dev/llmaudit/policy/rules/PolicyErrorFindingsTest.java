package dev.llmaudit.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.PolicyTests;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.PolicyKind;
import dev.llmaudit.policy.model.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CEL rule that fails for a call is a finding of kind policy_error, never a silent "no match". */
class PolicyErrorFindingsTest {
    static final String POLICIES = """
            policies:
              - id: search-team-only
                kind: custom
                severity: high
                condition: "event.team != 'search'"
                message: "only the search team may call models here"
              - id: quiet-rule
                kind: custom
                severity: low
                on_error: ignore
                condition: "event.team == 'ads'"
            """;
    static final LlmCall NO_TEAM = LlmCall.builder("e-1", Instant.parse("2026-11-02T10:00:00Z")).cloud("openai").requestModel("gpt-x")
            .inputTokens(10L).outputTokens(1L).build();

    @TempDir
    Path dir;

    @Test
    void aConditionThatFailsGivesAPolicyErrorFindingNamingThePolicyAndTheError() {
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(TestBundles.write(dir, "p.yaml", POLICIES)).bundle());
        List<Finding> findings = engine.evaluate(NO_TEAM).findings();
        assertThat(findings).hasSize(1);
        Finding f = findings.get(0);
        assertThat(f.kind()).isEqualTo(PolicyKind.POLICY_ERROR);
        assertThat(f.policyId()).isEqualTo("search-team-only");
        assertThat(f.severity()).as("the policy's own severity").isEqualTo(Severity.HIGH);
        assertThat(f.message()).isEqualTo("policy search-team-only could not be evaluated for this call: evaluation error at <input>:5:"
                + " key 'team' is not present in map.; the call was not checked by this policy (fix the condition, e.g. test optional"
                + " fields with has(event.x), or set on_error: ignore)");
        assertThat(f.details()).containsEntry("condition", "event.team != 'search'");
        // A call with a team is checked normally: no error finding, the rule's own finding.
        LlmCall ads = LlmCall.builder("e-2", Instant.parse("2026-11-02T10:00:00Z")).team("ads").build();
        assertThat(engine.evaluate(ads).findings()).extracting(Finding::policyId, Finding::kind).containsExactly(
                org.assertj.core.groups.Tuple.tuple("search-team-only", PolicyKind.CUSTOM),
                org.assertj.core.groups.Tuple.tuple("quiet-rule", PolicyKind.CUSTOM));
    }

    @Test
    void policyTestsAssertErrorFindingsByKindAndNeverMistakeThemForMatches() throws Exception {
        Path bundle = TestBundles.write(dir, "p.yaml", POLICIES);
        Files.writeString(bundle.resolve("tests/t.yaml"), """
                tests:
                  - name: a call without a team is not checked by the rule, and says so
                    events:
                      - {event_id: t1, event_time: "2026-11-02T10:00:00Z", cloud: openai, request_model: gpt-x}
                    expect:
                      - {policy: search-team-only, kind: policy_error, event_id: t1}
                  - name: expecting the rule to match where it failed must fail
                    events:
                      - {event_id: t2, event_time: "2026-11-02T10:00:00Z", cloud: openai, request_model: gpt-x}
                    expect:
                      - {policy: search-team-only, event_id: t2}
                """);
        PolicyTests.Report report = PolicyTests.run(bundle, new PolicyEngine(BundleLoader.load(bundle).bundle()));
        assertThat(report.problems()).isEmpty();
        assertThat(report.cases().get(0).failures()).isEmpty();
        assertThat(report.cases().get(1).failures()).containsExactly(
                "expected {policy: search-team-only, event_id: t2} but no such finding",
                "unexpected finding {policy: search-team-only, kind: policy_error, event_id: t2}: policy search-team-only could not be"
                        + " evaluated for this call: evaluation error at <input>:5: key 'team' is not present in map.; the call was not"
                        + " checked by this policy (fix the condition, e.g. test optional fields with has(event.x), or set on_error: ignore)");
    }

    @Test
    void onErrorTakesOnlyItsTwoValuesAndPolicyErrorIsNotADeclarableKind() {
        BundleLoader.Result r = BundleLoader.load(TestBundles.write(dir, "p.yaml", """
                policies:
                  - id: a
                    kind: custom
                    on_error: skip
                    condition: "true"
                  - id: b
                    kind: policy_error
                """));
        assertThat(r.problems()).extracting(p -> dir.resolve("policies").relativize(java.nio.file.Path.of(p.toString().split(":")[0])) + p.toString().substring(p.toString().indexOf(":"))).containsExactly(
                "p.yaml:4:15: policy a.on_error: expected policy_error (the default: a finding of kind policy_error when the condition fails"
                        + " for a call) or ignore, got \"skip\"",
                "p.yaml:7:11: policy b.kind: unknown kind \"policy_error\"; expected one of residency, model, budget, call_cap, price_check,"
                        + " custom (policy_error is the kind of findings about policies that failed, not a policy kind)");
    }
}
