package dev.llmaudit.policy.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.engine.Replay;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.rules.Policy;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Test cases kept next to the policies ({@code tests/*.yaml}), like {@code opa test}: given events
 * (canonical JSON fields, in YAML), the expected findings, or none.
 * <pre>
 * tests:
 *   - name: PII through a global profile breaks EU residency
 *     only: [eu-pii-residency]          # optional: compare only these policies' findings (default: every policy's)
 *     events:
 *       - {event_id: t1, event_time: "2026-11-02T10:00:00Z", cloud: aws, region: eu-central-1, ...}
 *     expect:
 *       - {policy: eu-pii-residency, event_id: t1, message_contains: "use the eu. profile"}
 *       - {policy: my-cel-rule, kind: policy_error, event_id: t1}   # the rule failed to evaluate for t1
 * </pre>
 * An expectation without {@code kind} matches the policy's own findings, never its
 * {@code policy_error} findings: a rule that fails for a call does not pass a test that expects it to match.
 * Events of a case are replayed in event-time order with budgets accumulated, as the enforcer would.
 *
 * <p>Without {@code only:} a case asserts the complete set of findings of every policy of the
 * bundle. A test that checks nothing is an error, reported by {@link #check} (and so by
 * {@code policies validate} and {@code policies test}): an id in {@code only:} or {@code expect}
 * that is not a policy of the bundle (a misspelt {@code only:} with {@code expect: []} would pass
 * while comparing nothing), and an expectation that {@code only:} filters out (it could never pass).
 * A case whose {@code only:} policies select none of its events is kept: it asserts their match.
 */
public final class PolicyTests {
    /** One expected finding. */
    record Expectation(String policy, String eventId, String messageContains, Integer threshold, boolean policyError) {
        boolean matches(Finding f) {
            return f.policyId().equals(policy)
                    && (f.kind() == dev.llmaudit.policy.model.PolicyKind.POLICY_ERROR) == policyError
                    && (eventId == null || eventId.equals(f.eventId()))
                    && (messageContains == null || f.message().contains(messageContains))
                    && (threshold == null || threshold.toString().equals(f.details().get("threshold_percent")));
        }

        @Override
        public String toString() {
            return "{policy: " + policy + (policyError ? ", kind: policy_error" : "") + (eventId == null ? "" : ", event_id: " + eventId)
                    + (threshold == null ? "" : ", threshold: " + threshold)
                    + (messageContains == null ? "" : ", message_contains: \"" + messageContains + "\"") + "}";
        }
    }

    /**
     * One case's outcome; failures say expected vs actual.
     *
     * @param matchedPolicies the policies whose findings the case expected and got
     * @param complete true when the case compared every policy's findings (no {@code only:})
     */
    public record CaseResult(String name, String location, boolean passed, List<String> failures, Set<String> matchedPolicies,
                             boolean complete) {}

    /** All cases of a bundle, or the problems that kept them from being read. */
    public record Report(List<CaseResult> cases, List<Problems.Problem> problems) {
        public boolean passed() {
            return problems.isEmpty() && cases.stream().allMatch(CaseResult::passed);
        }
    }

    /** A case as read, with the YAML nodes its checks point at. */
    private record Case(String name, String location, List<LlmCall> events, List<Expectation> expect, Set<String> only,
                        Yaml.At item, Yaml.At onlyNode, List<Yaml.At> expectNodes, String context) {}

    private PolicyTests() {}

    public static Report run(Path bundleDir, PolicyEngine engine) {
        Problems problems = new Problems();
        List<Case> cases = read(bundleDir, engine.bundle(), problems);
        if (!problems.isEmpty()) {
            return new Report(List.of(), problems.all());
        }
        List<CaseResult> results = new ArrayList<>();
        for (Case c : cases) {
            results.add(runCase(c, engine));
        }
        return new Report(results, List.of());
    }

    /**
     * Reads the bundle's test cases and checks that each can fail: every problem, including tests
     * that check nothing. Empty when the tests are sound. For {@code policies validate}.
     */
    public static List<Problems.Problem> check(Path bundleDir, PolicyBundle bundle) {
        Problems problems = new Problems();
        read(bundleDir, bundle, problems);
        return problems.all();
    }

    private static List<Case> read(Path bundleDir, PolicyBundle bundle, Problems problems) {
        List<Case> cases = new ArrayList<>();
        Path dir = bundleDir.resolve("tests");
        if (!Files.isDirectory(dir)) {
            problems.add(dir, 0, 0, "missing tests directory; add tests/*.yaml with cases for each policy");
            return cases;
        }
        for (Path file : BundleLoader.yamlFiles(dir, "", problems)) {
            readCases(file, problems, cases);
        }
        if (cases.isEmpty() && problems.isEmpty()) {
            problems.add(dir, 0, 0, "no test cases found");
        }
        if (problems.isEmpty()) {
            cases.forEach(c -> checkCanFail(c, bundle, problems));
        }
        return cases;
    }

    /** The ways a case can pass while checking nothing. */
    private static void checkCanFail(Case c, PolicyBundle bundle, Problems problems) {
        Map<String, Policy> policies = new LinkedHashMap<>();
        bundle.policies().forEach(p -> policies.put(p.meta().id(), p));
        String known = policies.isEmpty() ? "the bundle has none" : "the bundle's policies: " + String.join(", ", policies.keySet());
        for (String id : new java.util.TreeSet<>(c.only())) {
            if (!policies.containsKey(id)) {
                // Its findings would be compared with nothing: with expect: [] the case could never fail.
                c.onlyNode().error(problems, c.context() + ".only: no policy \"" + id + "\" (" + known + "); a case limited to it"
                        + " compares no findings and can never fail");
            }
        }
        for (int i = 0; i < c.expect().size(); i++) {
            String id = c.expect().get(i).policy();
            if (!policies.containsKey(id)) {
                c.expectNodes().get(i).error(problems, c.context() + ".expect: no policy \"" + id + "\" (" + known + ")");
            } else if (!c.only().isEmpty() && !c.only().contains(id)) {
                c.expectNodes().get(i).error(problems, c.context() + ".expect: a finding of " + id + " can never match: only: ["
                        + String.join(", ", new java.util.TreeSet<>(c.only())) + "] leaves its findings out; add " + id + " to only:");
            }
        }
    }

    private static CaseResult runCase(Case c, PolicyEngine engine) {
        List<Finding> actual = new ArrayList<>(Replay.run(engine, c.events(), null).findings());
        if (!c.only().isEmpty()) {
            actual.removeIf(f -> !c.only().contains(f.policyId()));
        }
        List<Finding> unmatched = new ArrayList<>(actual);
        List<String> failures = new ArrayList<>();
        Set<String> matched = new java.util.TreeSet<>();
        for (Expectation e : c.expect()) {
            Optional<Finding> hit = unmatched.stream().filter(e::matches).findFirst();
            if (hit.isPresent()) {
                unmatched.remove(hit.get());
                matched.add(e.policy());
            } else {
                failures.add("expected " + e + " but no such finding");
            }
        }
        for (Finding f : unmatched) {
            failures.add("unexpected finding {policy: " + f.policyId()
                    + (f.kind() == dev.llmaudit.policy.model.PolicyKind.POLICY_ERROR ? ", kind: policy_error" : "")
                    + ", event_id: " + f.eventId() + "}: " + f.message());
        }
        return new CaseResult(c.name(), c.location(), failures.isEmpty(), failures, Set.copyOf(matched), c.only().isEmpty());
    }

    private static void readCases(Path file, Problems problems, List<Case> out) {
        Optional<Yaml.At> root = Yaml.parse(file, problems).map(n -> new Yaml.At(file, n));
        if (root.isEmpty()) {
            return;
        }
        Yaml.Fields top = new Yaml.Fields(root.get(), problems, "file");
        top.rejectUnknown(List.of("tests"));
        Optional<Yaml.At> list = top.node("tests");
        if (list.isEmpty() || !list.get().isList()) {
            root.get().error(problems, "expected \"tests:\" with a list of test cases");
            return;
        }
        int index = 0;
        for (Yaml.At item : list.get().items()) {
            String ctx = "tests[" + index++ + "]";
            Yaml.Fields f = new Yaml.Fields(item, problems, ctx);
            f.rejectUnknown(List.of("name", "events", "expect", "only"));
            String name = f.requiredString("name");
            List<LlmCall> events = new ArrayList<>();
            Optional<Yaml.At> ev = f.node("events");
            if (ev.isEmpty() || !ev.get().isList() || ev.get().items().isEmpty()) {
                item.error(problems, ctx + ": needs a non-empty \"events\" list");
            } else {
                for (Yaml.At e : ev.get().items()) {
                    EventParseResult parsed = LlmCallEventJson.fromNode(toJson(e.node()));
                    if (parsed.isValid()) {
                        events.add(LlmCalls.from(parsed.event()));
                    } else {
                        e.error(problems, ctx + " event: " + parsed.errorSummary());
                    }
                }
            }
            List<Expectation> expect = new ArrayList<>();
            List<Yaml.At> expectNodes = new ArrayList<>();
            Optional<Yaml.At> ex = f.node("expect");
            if (!f.at().entries(problems).containsKey("expect")) {
                item.error(problems, ctx + ": missing \"expect\" (a list of findings, or [] for none)");
            } else if (ex.isPresent()) {
                if (!ex.get().isList()) {
                    ex.get().error(problems, ctx + ".expect: expected a list of findings, or [] for none");
                } else {
                    for (Yaml.At x : ex.get().items()) {
                        Yaml.Fields xf = new Yaml.Fields(x, problems, ctx + ".expect");
                        xf.rejectUnknown(List.of("policy", "kind", "event_id", "message_contains", "threshold"));
                        Long threshold = xf.count("threshold");
                        String kind = xf.string("kind");
                        if (kind != null && !kind.equals("policy_error")) {
                            x.error(problems, ctx + ".expect: kind may only be policy_error (a finding about a policy that failed"
                                    + " for a call); other findings are named by their policy, got \"" + kind + "\"");
                        }
                        expect.add(new Expectation(xf.requiredString("policy"), xf.string("event_id"), xf.string("message_contains"),
                                threshold == null ? null : threshold.intValue(), "policy_error".equals(kind)));
                        expectNodes.add(x);
                    }
                }
            }
            List<String> only = f.strings("only");
            out.add(new Case(name, item.where(), events, expect, only == null ? Set.of() : Set.copyOf(only), item,
                    f.node("only").orElse(item), expectNodes, ctx));
        }
    }

    /** YAML node to JSON, keeping scalar types as YAML resolved them (int, float, bool, null, string). */
    static JsonNode toJson(Node node) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        if (node instanceof MappingNode m) {
            ObjectNode o = json.objectNode();
            for (NodeTuple t : m.getValue()) {
                o.set(((ScalarNode) t.getKeyNode()).getValue(), toJson(t.getValueNode()));
            }
            return o;
        }
        if (node instanceof SequenceNode s) {
            ArrayNode a = json.arrayNode();
            s.getValue().forEach(n -> a.add(toJson(n)));
            return a;
        }
        ScalarNode s = (ScalarNode) node;
        String tag = s.getTag().getValue();
        String v = s.getValue();
        try {
            if (tag.endsWith(":int")) {
                return json.numberNode(new BigInteger(v.replace("_", "")));
            }
            if (tag.endsWith(":float")) {
                return json.numberNode(new BigDecimal(v));
            }
        } catch (NumberFormatException e) {
            return json.textNode(v);
        }
        if (tag.endsWith(":bool")) {
            return json.booleanNode(Boolean.parseBoolean(v));
        }
        if (tag.endsWith(":null")) {
            return json.nullNode();
        }
        return json.textNode(v);
    }
}
