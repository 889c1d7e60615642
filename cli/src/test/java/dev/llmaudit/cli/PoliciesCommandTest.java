package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.cli.LlmAuditCommandTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoliciesCommandTest {
    static final Path BUNDLE = Path.of("..", "policies", "bundle");

    static Path copyBundle(Path to) throws IOException {
        try (Stream<Path> files = Files.walk(BUNDLE)) {
            for (Path p : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(BUNDLE.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    @Test
    void theDefaultBundleValidatesAndItsTestsPass() {
        Run validate = LlmAuditCommandTest.run("policies", "validate", BUNDLE.toString());
        assertThat(validate.exit()).as(validate.err()).isZero();
        assertThat(validate.out()).contains("is valid: 10 policies");

        Run test = LlmAuditCommandTest.run("policies", "test", BUNDLE.toString());
        assertThat(test.exit()).as(test.out()).isZero();
        assertThat(test.out()).contains("PASS  EU PII through a Bedrock global profile breaks residency").contains(" passed, 0 failed");
    }

    @Test
    void validateListsEveryErrorAndExitsOne(@TempDir Path dir) throws IOException {
        Path bundle = copyBundle(dir.resolve("b"));
        Files.writeString(bundle.resolve("policies/broken.yaml"), """
                policies:
                  - id: x
                    kind: budget
                    period: fortnight
                  - id: y
                    kind: resdency
                """);
        Run r = LlmAuditCommandTest.run("policies", "validate", bundle.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(bundle.resolve("policies/broken.yaml") + ":4:13: policy x.period: unknown value \"fortnight\"; expected day, week or month")
                .contains(":2:5: policy x: missing required key \"limit\"")
                .contains(":6:11: policy y.kind: unknown kind \"resdency\"")
                .contains("3 problem(s) in bundle");
    }

    @Test
    void failingTestShowsExpectedVersusActual(@TempDir Path dir) throws IOException {
        Path bundle = copyBundle(dir.resolve("b"));
        Path caps = bundle.resolve("tests/caps_test.yaml");
        Files.writeString(caps, Files.readString(caps).replace("exceeds the cap of 5.00 USD", "exceeds the cap of 4.00 USD"));
        Run r = LlmAuditCommandTest.run("policies", "test", bundle.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL  A call over 5 USD or over 400k tokens is flagged")
                .contains("expected {policy: per-call-cost-cap, event_id: c1, message_contains: \"call cost 6.60 USD exceeds the cap of 4.00 USD\"} but no such finding")
                .contains("unexpected finding {policy: per-call-cost-cap, event_id: c1}: call cost 6.60 USD exceeds the cap of 5.00 USD")
                .contains(" passed, 1 failed");
    }

    @Test
    void dryRunReportsViolationsSummaryAndBadLines(@TempDir Path dir) throws IOException {
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, String.join("\n",
                "{\"event_id\":\"d1\",\"event_time\":\"2026-11-02T10:00:00Z\",\"tenant\":\"acme-eu\",\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"request_model\":\"global.anthropic.claude-sonnet-4-5-20250929-v1:0\",\"data_classification\":\"pii\",\"input_tokens\":1000,\"output_tokens\":100}",
                "{\"event_id\":\"d2\",\"event_time\":\"2026-11-02T10:00:00Z\",\"input_tokens\":-1}",
                "{\"event_id\":\"d3\",\"event_time\":\"2026-11-02T10:00:00Z\",\"cloud\":\"openai\",\"request_model\":\"gpt-5.5\",\"input_tokens\":1000000,\"output_tokens\":0}"));
        Run table = LlmAuditCommandTest.run("policies", "dry-run", BUNDLE.toString(), "--events", events.toString());
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).contains("high      eu-pii-residency")
                .contains("skipped line 2: input_tokens: must be >= 0, got -1")
                .contains("openai  1      5.00")
                .contains("2 events, 1 skipped lines");

        Run json = LlmAuditCommandTest.run("policies", "dry-run", BUNDLE.toString(), "--events", events.toString(), "--format", "json");
        assertThat(json.out().lines().filter(l -> l.contains("\"type\":\"finding\"")).count()).isGreaterThanOrEqualTo(2);
        assertThat(json.out()).contains("{\"type\":\"bad_line\",\"line\":2,").contains("\"cost_by_cloud\":{\"aws\":");
    }

    @Test
    void publishRefusesAnInvalidBundleBeforeTouchingKafka(@TempDir Path dir) throws IOException {
        Path bundle = copyBundle(dir.resolve("b"));
        Files.writeString(bundle.resolve("policies/broken.yaml"), "policies:\n  - {id: z, kind: budget}\n");
        Run r = LlmAuditCommandTest.run("policies", "publish", bundle.toString(), "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("policy z: missing required key \"period\"").contains("not published:");
    }

    @Test
    void validateReportsATestCaseThatCanNeverFail(@TempDir Path dir) throws IOException {
        Path bundle = copyBundle(dir.resolve("b"));
        Files.writeString(bundle.resolve("tests/typo_test.yaml"), """
                tests:
                  - name: misspelt
                    only: [eu-pii-residencyy]
                    events:
                      - {event_id: t1, event_time: "2026-11-02T10:00:00Z", cloud: aws, region: eu-central-1, request_model: "openai.gpt-oss-120b-1:0"}
                    expect: []
                """);
        Run r = LlmAuditCommandTest.run("policies", "validate", bundle.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(bundle.resolve("tests/typo_test.yaml") + ":3:11: tests[0].only: no policy \"eu-pii-residencyy\"")
                .contains("can never fail").contains("1 problem(s) in the test cases of bundle");
        Run test = LlmAuditCommandTest.run("policies", "test", bundle.toString());
        assertThat(test.exit()).isEqualTo(1);
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][] {{"enforcer", "run", "--help"}, {"policies", "publish", "--help"}, {"ingest", "serve", "--help"},
                {"ingest", "new-key", "--help"}, {"prices", "import-litellm", "--help"}, {"prices", "explain", "--help"},
                {"policies", "dry-run", "--help"}}) {
            Run r = LlmAuditCommandTest.run(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isZero();
            assertThat(r.out()).contains("Usage: llm-audit " + cmd[0] + " " + cmd[1]);
        }
    }

    @Test
    void importLiteLlmWritesACatalogAndReportsSkips(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("prices.json");
        Files.writeString(in, "{\"gpt-5.5\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\", \"input_cost_per_token\": 5e-06, "
                + "\"output_cost_per_token\": 3e-05}, \"groq/x\": {\"litellm_provider\": \"groq\", \"mode\": \"chat\"}}");
        Path out = dir.resolve("prices-litellm.yaml");
        Run r = LlmAuditCommandTest.run("prices", "import-litellm", in.toString(), "-o", out.toString(), "--effective-from", "2026-07-01");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("Imported 1 prices").contains("1  provider is not a cloud llm-audit prices");
        assertThat(Files.readString(out)).contains("- {cloud: openai, provider: openai, model: \"gpt-5.5\", scope: global, effective_from: 2026-07-01, input: \"5\", output: \"30\", source: \"gpt-5.5\"}");
    }

    @Test
    void importLiteLlmAppliesScopeRulesAndMarksDerivedPrices(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("prices.json");
        // LiteLLM's bare Bedrock id: Anthropic and AWS say the global price; the rule adds the in-region one at x1.10.
        Files.writeString(in, "{\"anthropic.claude-sonnet-4-5-20250929-v1:0\": {\"litellm_provider\": \"bedrock_converse\", \"mode\": \"chat\", "
                + "\"input_cost_per_token\": 3e-06, \"output_cost_per_token\": 1.5e-05}}");
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, """
                version: t
                rules:
                  - id: claude-premium
                    cloud: aws
                    models: ["anthropic.claude-*-4-5*"]
                    source_scope: global
                    derive:
                      - {scope: regional, from: global, factor: "1.10"}
                    says: in-region is 10% above global
                    source: {url: "https://example.org/p", title: t, checked: 2026-12-01}
                """);
        Path out = dir.resolve("prices-litellm.yaml");
        Run r = LlmAuditCommandTest.run("prices", "import-litellm", in.toString(), "-o", out.toString(), "--effective-from", "2026-07-01",
                "--scope-rules", rules.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("Applying 1 scope rules from " + rules);
        String yaml = Files.readString(out);
        assertThat(yaml).contains("model: \"anthropic.claude-sonnet-4-5-20250929-v1:0\", scope: global, effective_from: 2026-07-01, input: \"3\", output: \"15\"");
        assertThat(yaml).contains("scope: regional, effective_from: 2026-07-01, input: \"3.3\", output: \"16.5\"")
                .contains("basis: derived, rule: \"claude-premium\"");

        Run missing = LlmAuditCommandTest.run("prices", "import-litellm", in.toString(), "--scope-rules", dir.resolve("nope.yaml").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no such scope rules file");
    }

    @Test
    void explainNamesTheEntryItsRuleAndTheCost() {
        // 1,000 input tokens at 3.00 x 1.10 and 200 output tokens at 15.00 x 1.10 per million: 0.0033 + 0.0033.
        Run r = LlmAuditCommandTest.run("prices", "explain", "--bundle", BUNDLE.toString(), "--cloud", "aws", "--region", "eu-central-1",
                "--model", "anthropic.claude-sonnet-4-5-20250929-v1:0", "--date", "2026-11-02");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("scope regional; processed in eu")
                .contains("Priced by:  aws/regional/anthropic.claude-sonnet-4-5-20250929-v1:0@2026-07-01")
                .contains("Basis:      derived (rule bedrock-claude-4.5-and-later)")
                .contains("Rule from:  https://platform.claude.com/docs/en/build-with-claude/claude-on-amazon-bedrock")
                .contains("input 3.3, output 16.5, cached input 0.33")
                .contains("Cost:       0.0066 USD for 1,000 input (0 cached) + 200 output (0 reasoning) tokens");

        Run corrected = LlmAuditCommandTest.run("prices", "explain", "--bundle", BUNDLE.toString(), "--cloud", "aws", "--region", "eu-central-1",
                "--model", "eu.anthropic.claude-opus-4-5-20251101-v1:0");
        assertThat(corrected.exit()).isZero();
        assertThat(corrected.out()).contains("Basis:      corrected").contains("input 5.5, output 27.5")
                .contains("aws/data_zone:eu/anthropic.claude-opus-4-5-20251101-v1:0@2026-07-01 [published] input 5, output 25");
    }

    @Test
    void explainSaysWhyACallIsUnpricedAndExitsOne() {
        Run r = LlmAuditCommandTest.run("prices", "explain", "--bundle", BUNDLE.toString(), "--cloud", "azure", "--region", "francecentral",
                "--model", "gpt-4.1", "--scope", "regional");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("Priced by:  nothing: no price for gpt-4.1 on azure regional in francecentral")
                .contains("no published price and no scope rule for that scope")
                .contains("azure/regional:eastus/gpt-4.1@2026-07-01 [derived (rule azure-gpt-4.1-and-4o)]");

        Run bad = LlmAuditCommandTest.run("prices", "explain", "--bundle", BUNDLE.toString(), "--cloud", "azure", "--model", "gpt-4.1", "--scope", "zonal");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--scope must be regional, data_zone or global (got \"zonal\")");
    }
}
