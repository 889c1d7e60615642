package dev.llmaudit.policy.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.model.PolicyKind;
import dev.llmaudit.policy.model.Severity;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BundleLoaderTest {
    @TempDir
    Path dir;

    @Test
    void loadsAValidBundle() {
        Path bundle = TestBundles.write(dir, "p.yaml", """
                policies:
                  - id: eu-only
                    kind: residency
                    severity: high
                    match: {data_classification: [pii]}
                    allowed_jurisdictions: [eu]
                  - id: cheap
                    kind: price_check
                """);
        BundleLoader.Result r = BundleLoader.load(bundle);
        assertThat(r.problems()).isEmpty();
        assertThat(r.bundle().version()).isEqualTo("t1");
        assertThat(r.bundle().prices().version()).isEqualTo("test-prices-1");
        assertThat(r.bundle().policies()).extracting(p -> p.meta().id(), p -> p.meta().kind(), p -> p.meta().severity())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("eu-only", PolicyKind.RESIDENCY, Severity.HIGH),
                        org.assertj.core.groups.Tuple.tuple("cheap", PolicyKind.PRICE_CHECK, Severity.INFO));
    }

    static Stream<Arguments> badPolicies() {
        return Stream.of(
                Arguments.of("unknown kind", """
                        policies:
                          - id: a
                            kind: residencey
                        """, List.of("p.yaml:3:11: policy a.kind: unknown kind \"residencey\"; expected one of residency, model, budget, call_cap, price_check, custom")),
                Arguments.of("misspelled key", """
                        policies:
                          - id: a
                            kind: residency
                            alowed_jurisdictions: [eu]
                        """, List.of("p.yaml:4:27: policy a: unknown key \"alowed_jurisdictions\" (did you mean \"allowed_jurisdictions\"?); expected one of id, kind, description, severity, owner, match, allowed_jurisdictions")),
                Arguments.of("missing id and bad severity", """
                        policies:
                          - kind: model
                            severity: urgent
                            deny_clouds: [openai]
                        """, List.of("p.yaml:2:5: policies[0]: missing required key \"id\"",
                        "p.yaml:3:15: policies[0].severity: unknown value \"urgent\"; expected info, low, medium, high or critical")),
                Arguments.of("budget problems, all at once", """
                        policies:
                          - id: b
                            kind: budget
                            per: [squad]
                            period: quarter
                            time_zone: Mars/Olympus
                            limit: {amount: "-5", currency: EUR}
                            thresholds: [50, "lots"]
                        """, List.of(
                        "p.yaml:4:10: policy b.per: unknown attribute \"squad\"; expected some of app, cloud, data_classification, data_residency, environment, operation, provider, region, team, tenant",
                        "p.yaml:5:13: policy b.period: unknown value \"quarter\"; expected day, week or month",
                        "p.yaml:6:16: policy b.time_zone: unknown time zone \"Mars/Olympus\"; use an IANA name such as Europe/Berlin or UTC",
                        "p.yaml:7:21: policy b.limit.amount: must be >= 0, got -5",
                        "p.yaml:7:37: policy b.limit.currency: EUR but the price catalog is in USD and there are no exchange rates; use USD",
                        "p.yaml:8:17: policy b.thresholds: \"lots\" is not a percentage between 1 and 1000")),
                Arguments.of("invalid CEL", """
                        policies:
                          - id: c
                            kind: custom
                            condition: "event.cloud == "
                        """, List.of("p.yaml:4:16: policy c.condition: invalid CEL expression: ERROR: <input>:1:16: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} | event.cloud == | ...............^")),
                Arguments.of("duplicate id", """
                        policies:
                          - {id: a, kind: model, deny_clouds: [openai]}
                          - {id: a, kind: model, deny_clouds: [aws]}
                        """, List.of("p.yaml:3:5: duplicate policy id \"a\" (also at p.yaml:2)")),
                Arguments.of("YAML syntax error", """
                        policies:
                          - id: a
                           kind: model
                        """, List.of("p.yaml:3:4: invalid YAML: expected <block end>, but found '<block mapping start>'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPolicies")
    void reportsEveryProblemWithFileLineAndColumn(String name, String yaml, List<String> expected) {
        Path bundle = TestBundles.write(dir, "p.yaml", yaml);
        BundleLoader.Result r = BundleLoader.load(bundle);
        assertThat(r.ok()).isFalse();
        String prefix = bundle.resolve("policies") + "/";
        assertThat(r.problems()).extracting(p -> p.toString().replace(prefix, "").replace(bundle.toString(), "DIR"))
                .containsExactlyElementsOf(expected);
    }

    @Test
    void priceEntriesMustNameKnownRegionsAndZones() {
        Path bundle = TestBundles.write(dir, "p.yaml", "policies:\n  - {id: a, kind: price_check}\n");
        try {
            java.nio.file.Files.writeString(bundle.resolve("catalog/prices-extra.yaml"), """
                    version: extra
                    currency: USD
                    entries:
                      - {cloud: aws, model: m, region: moon-base-1, scope: regional, effective_from: 2026-01-01, input: "1", output: "2"}
                      - {cloud: aws, model: m, scope: data_zone, effective_from: 2026-01-01, input: "1", output: "2"}
                      - {cloud: aws, model: m, scope: global, effective_from: "someday", input: "x", output: "2"}
                    """);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        BundleLoader.Result r = BundleLoader.load(bundle);
        String prefix = bundle.resolve("catalog") + "/";
        assertThat(r.problems()).extracting(p -> p.toString().replace(prefix, "")).containsExactly(
                "prices-extra.yaml:4:36: entries[0].region: moon-base-1 of aws is not in catalog/regions.yaml; add it there with its country and jurisdiction",
                "prices-extra.yaml:5:5: entries[1]: a data_zone price needs \"zone\" (e.g. eu, us)",
                "prices-extra.yaml:6:59: entries[2].effective_from: not a date (YYYY-MM-DD): \"someday\"",
                "prices-extra.yaml:6:77: entries[2].input: not a decimal number: \"x\"");
    }
}
