package dev.llmaudit.policy.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.policy.catalog.Pricing;
import dev.llmaudit.policy.engine.Evaluation;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.engine.Replay;
import dev.llmaudit.policy.model.Amounts;
import dev.llmaudit.policy.model.Finding;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Backtests a bundle on a file of past events: every finding, a summary per policy, and cost totals
 * per cloud. Budgets accumulate in event-time order, as the enforcer would.
 */
public final class DryRun {
    /** Totals of one cloud: calls, exact priced cost, unpriced calls. */
    public record CloudTotal(long calls, BigDecimal cost, long unpriced) {}

    /** The whole backtest. */
    public record Report(List<Finding> findings, Map<String, Long> findingsByPolicy, Map<String, CloudTotal> costByCloud,
                         String currency, List<EventFile.BadLine> badLines, long events, String bundleVersion, String catalogVersion) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private DryRun() {}

    public static Report run(PolicyEngine engine, EventFile.Contents contents, Consumer<Integer> progress) {
        Replay.Result result = Replay.run(engine, contents.calls(), progress);
        Map<String, Long> byPolicy = new TreeMap<>();
        for (Finding f : result.findings()) {
            byPolicy.merge(f.policyId(), 1L, Long::sum);
        }
        Map<String, CloudTotal> byCloud = new TreeMap<>();
        for (Evaluation e : result.evaluations()) {
            String cloud = e.call().cloud() == null ? "(unknown)" : e.call().cloud();
            Pricing p = e.pricing();
            CloudTotal t = byCloud.getOrDefault(cloud, new CloudTotal(0, BigDecimal.ZERO, 0));
            byCloud.put(cloud, new CloudTotal(t.calls() + 1, p.cost() == null ? t.cost() : t.cost().add(p.total()),
                    t.unpriced() + (p.status() == Pricing.Status.UNPRICED ? 1 : 0)));
        }
        return new Report(result.findings(), byPolicy, byCloud, engine.bundle().prices().currency(), contents.badLines(),
                contents.calls().size(), engine.bundle().version(), engine.bundle().prices().version());
    }

    /** One JSON object per finding, then per bad line, then one summary object. */
    public static void writeJson(Report r, PrintWriter out) {
        for (Finding f : r.findings()) {
            ObjectNode o = JSON.createObjectNode();
            // Advice (a price check below its violation thresholds) never reaches llm.violations; say which is which.
            o.put("type", f.advice() ? "advice" : "finding");
            o.put("violation_id", f.id());
            o.put("policy_id", f.policyId());
            o.put("policy_kind", f.kind().id());
            o.put("severity", f.severity().id());
            o.put("event_id", f.eventId());
            o.put("message", f.message());
            ObjectNode d = o.putObject("details");
            f.details().forEach(d::put);
            out.println(o);
        }
        for (EventFile.BadLine b : r.badLines()) {
            out.println(JSON.createObjectNode().put("type", "bad_line").put("line", b.line()).put("reason", b.reason()));
        }
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "summary");
        s.put("events", r.events());
        s.put("bad_lines", r.badLines().size());
        s.put("bundle_version", r.bundleVersion());
        s.put("catalog_version", r.catalogVersion());
        ObjectNode p = s.putObject("findings_by_policy");
        r.findingsByPolicy().forEach(p::put);
        ObjectNode c = s.putObject("cost_by_cloud");
        r.costByCloud().forEach((cloud, t) -> c.putObject(cloud).put("calls", t.calls()).put("cost", Amounts.plain(t.cost()))
                .put("currency", r.currency()).put("unpriced_calls", t.unpriced()));
        out.println(s);
    }

    /** A readable table: findings, then the summaries. */
    public static void writeTable(Report r, PrintWriter out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SEVERITY", "POLICY", "EVENT", "MESSAGE"});
        for (Finding f : r.findings()) {
            rows.add(new String[] {f.advice() ? "advice" : f.severity().id(), f.policyId(), f.eventId(), f.message()});
        }
        if (r.findings().isEmpty()) {
            out.println("No findings.");
        } else {
            printTable(rows, out);
        }
        out.println();
        for (EventFile.BadLine b : r.badLines()) {
            out.println("skipped line " + b.line() + ": " + b.reason());
        }
        if (!r.badLines().isEmpty()) {
            out.println();
        }
        out.println("Findings by policy (bundle " + r.bundleVersion() + "):");
        List<String[]> policies = new ArrayList<>();
        policies.add(new String[] {"POLICY", "FINDINGS"});
        r.findingsByPolicy().forEach((k, v) -> policies.add(new String[] {k, Long.toString(v)}));
        printTable(policies, out);
        out.println();
        out.println("Cost by cloud (catalog " + r.catalogVersion() + ", " + r.currency() + "):");
        List<String[]> clouds = new ArrayList<>();
        clouds.add(new String[] {"CLOUD", "CALLS", "COST", "UNPRICED"});
        BigDecimal total = BigDecimal.ZERO;
        long calls = 0;
        long unpriced = 0;
        for (Map.Entry<String, CloudTotal> e : r.costByCloud().entrySet()) {
            clouds.add(new String[] {e.getKey(), Long.toString(e.getValue().calls()), Amounts.display(e.getValue().cost()),
                    Long.toString(e.getValue().unpriced())});
            total = total.add(e.getValue().cost());
            calls += e.getValue().calls();
            unpriced += e.getValue().unpriced();
        }
        clouds.add(new String[] {"total", Long.toString(calls), Amounts.display(total), Long.toString(unpriced)});
        printTable(clouds, out);
        long advice = r.findings().stream().filter(Finding::advice).count();
        out.printf("%n%d events, %d skipped lines, %d findings (%d violations, %d savings advice)%n", r.events(), r.badLines().size(),
                r.findings().size(), r.findings().size() - advice, advice);
    }

    static void printTable(List<String[]> rows, PrintWriter out) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] row : rows) {
            for (int i = 0; i < cols - 1; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                b.append(i < cols - 1 ? String.format("%-" + width[i] + "s  ", row[i]) : row[i]);
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
