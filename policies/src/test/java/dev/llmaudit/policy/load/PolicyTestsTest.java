package dev.llmaudit.policy.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.engine.PolicyEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle's own test runner: a case either checks something or is an error. */
class PolicyTestsTest {
    static final String POLICIES = """
            policies:
              - {id: eu-pii, kind: residency, match: {data_classification: [pii]}, allowed_jurisdictions: [eu]}
              - {id: aws-models, kind: model, match: {cloud: [aws]}, allow_models: ["anthropic.claude-x*"]}
            """;
    // PII through a global profile (anywhere) with a model AWS allows: eu-pii fires, aws-models does not.
    static final String EVENT = "{event_id: t1, event_time: \"2026-03-01T10:00:00Z\", cloud: aws, region: eu-central-1, "
            + "request_model: \"global.anthropic.claude-x-v1:0\", data_classification: pii, input_tokens: 10, output_tokens: 1}";

    static PolicyTests.Report run(Path bundle) {
        return PolicyTests.run(bundle, new PolicyEngine(BundleLoader.load(bundle).bundle()));
    }

    @Test
    void aMisspeltOnlyWithNoExpectationsIsAnErrorNotAPass(@TempDir Path dir) throws IOException {
        Path bundle = TestBundles.write(dir, "p.yaml", POLICIES);
        Files.writeString(bundle.resolve("tests/t.yaml"), """
                tests:
                  - name: typo
                    only: [eu-pi]
                    events:
                      - %s
                    expect: []
                """.formatted(EVENT));
        PolicyTests.Report report = run(bundle);
        assertThat(report.passed()).isFalse();
        assertThat(report.problems()).extracting(Problems.Problem::toString).containsExactly(bundle.resolve("tests/t.yaml")
                + ":3:11: tests[0].only: no policy \"eu-pi\" (the bundle's policies: eu-pii, aws-models); a case limited to it compares"
                + " no findings and can never fail");
        assertThat(PolicyTests.check(bundle, BundleLoader.load(bundle).bundle())).hasSize(1);

        // Spelt right, the same case fails: eu-pii does fire for the event.
        Files.writeString(bundle.resolve("tests/t.yaml"), Files.readString(bundle.resolve("tests/t.yaml")).replace("eu-pi]", "eu-pii]"));
        PolicyTests.Report fixed = run(bundle);
        assertThat(fixed.problems()).isEmpty();
        assertThat(fixed.cases()).singleElement().satisfies(c -> assertThat(c.failures())
                .containsExactly("unexpected finding {policy: eu-pii, event_id: t1}: pii processed via global inference profile "
                        + "global.anthropic.claude-x-v1:0 from eu-central-1; policy eu-pii allows eu jurisdictions only; use the eu. profile "
                        + "(eu.anthropic.claude-x-v1:0) or the model in-region in eu-central-1"));
    }

    @Test
    void expectationsNamingNoPolicyOrOneThatOnlyLeavesOutAreErrors(@TempDir Path dir) throws IOException {
        Path bundle = TestBundles.write(dir, "p.yaml", POLICIES);
        Files.writeString(bundle.resolve("tests/t.yaml"), """
                tests:
                  - name: filtered
                    only: [aws-models]
                    events:
                      - %s
                    expect:
                      - {policy: eu-pii, event_id: t1}
                      - {policy: nope}
                """.formatted(EVENT));
        assertThat(run(bundle).problems()).extracting(Problems.Problem::message).containsExactly(
                "tests[0].expect: a finding of eu-pii can never match: only: [aws-models] leaves its findings out; add eu-pii to only:",
                "tests[0].expect: no policy \"nope\" (the bundle's policies: eu-pii, aws-models)");
    }

    @Test
    void withoutOnlyACaseComparesEveryPolicysFindings(@TempDir Path dir) throws IOException {
        Path bundle = TestBundles.write(dir, "p.yaml", POLICIES);
        Files.writeString(bundle.resolve("tests/t.yaml"), """
                tests:
                  - name: complete
                    events:
                      - %s
                    expect: []
                  - name: complete and right
                    events:
                      - %s
                    expect:
                      - {policy: eu-pii, event_id: t1}
                """.formatted(EVENT, EVENT));
        PolicyTests.Report report = run(bundle);
        assertThat(report.problems()).isEmpty();
        assertThat(report.cases()).extracting(PolicyTests.CaseResult::passed).containsExactly(false, true);
        assertThat(report.cases().get(0).failures()).singleElement().asString().startsWith("unexpected finding {policy: eu-pii, event_id: t1}");
        assertThat(report.cases().get(1).complete()).isTrue();
        assertThat(report.cases().get(1).matchedPolicies()).containsExactly("eu-pii");
    }
}
