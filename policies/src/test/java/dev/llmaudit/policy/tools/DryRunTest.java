package dev.llmaudit.policy.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DryRunTest {
    @Test
    void reportsFindingsBadLinesAndExactCostPerCloud(@TempDir Path dir) throws IOException {
        PolicyEngine engine = new PolicyEngine(BundleLoader.load(TestBundles.write(dir.resolve("b"), "p.yaml", """
                policies:
                  - id: eu-only
                    kind: residency
                    match: {data_classification: [pii]}
                    allowed_jurisdictions: [eu]
                  - id: budget
                    kind: budget
                    per: [team]
                    period: month
                    limit: {amount: "1", currency: USD}
                    thresholds: [100]
                """)).bundle());
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, String.join("\n",
                "{\"event_id\":\"a\",\"event_time\":\"2026-03-02T00:00:00Z\",\"team\":\"t\",\"cloud\":\"openai\",\"request_model\":\"gpt-x\",\"data_classification\":\"pii\",\"input_tokens\":100000,\"output_tokens\":10000}",
                "{\"event_id\":\"b\",\"event_time\":\"not a time\"}",
                "",
                "{\"event_id\":\"c\",\"event_time\":\"2026-03-01T00:00:00Z\",\"team\":\"t\",\"cloud\":\"azure\",\"region\":\"eastus2\",\"request_model\":\"gpt-x\",\"input_tokens\":100000,\"output_tokens\":10000}",
                "{\"event_id\":\"d\",\"event_time\":\"2026-03-03T00:00:00Z\",\"cloud\":\"azure\",\"region\":\"eastus2\",\"request_model\":\"mystery\",\"input_tokens\":1,\"output_tokens\":1}",
                "{not json"));

        EventFile.Contents contents = EventFile.read(events, null);
        DryRun.Report report = DryRun.run(engine, contents, null);

        assertThat(contents.badLines()).extracting(EventFile.BadLine::line).containsExactly(2L, 6L);
        assertThat(report.findings()).extracting(f -> f.policyId() + ":" + f.eventId()).containsExactly("eu-only:a", "budget:a");
        assertThat(report.costByCloud().get("openai").cost()).isEqualByComparingTo("0.8");   // 0.5 + 0.3
        assertThat(report.costByCloud().get("azure").cost()).isEqualByComparingTo("0.8");
        assertThat(report.costByCloud().get("azure").unpriced()).isEqualTo(1);

        StringWriter table = new StringWriter();
        DryRun.writeTable(report, new PrintWriter(table));
        assertThat(table.toString()).contains("skipped line 2: event_time: not an ISO-8601 instant: \"not a time\"")
                .contains("total   3      1.60  1").contains("3 events, 2 skipped lines, 2 findings (2 violations, 0 savings advice)");
        StringWriter json = new StringWriter();
        DryRun.writeJson(report, new PrintWriter(json));
        assertThat(json.toString().lines()).hasSize(5).last().asString().contains("\"type\":\"summary\"");
    }
}
