package dev.llmaudit.policy.bench;

import dev.llmaudit.policy.engine.Evaluation;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.LlmCall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-thread throughput of {@link PolicyEngine#evaluate} on a bundle of ~50 policies (the
 * default catalogs with generated residency, model, budget, cap, price-check and CEL policies) over
 * a realistic mix of calls. Target: >= 1M events/s on one thread. Run:
 * {@code ./mvnw -B -Pbench -DskipTests -pl policies -am verify}.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
@Threads(1)
public class PolicyEngineBenchmark {
    /**
     * "all": the ~50-policy bundle; "no-price-check": without the two advisory price checks; "no-cel":
     * without price checks and the two CEL conditions (each replaced by a call cap, so the count stays ~50).
     */
    @Param({"all", "no-price-check", "no-cel"})
    public String bundle;

    /** "typical": ~2% of calls break a rule (a governed fleet); "violations": most calls break several (worst case). */
    @Param({"typical", "violations"})
    public String mix;

    private PolicyEngine engine;
    private LlmCall[] calls;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path dir = Files.createTempDirectory("bench-bundle");
        Path source = Path.of(System.getProperty("llmaudit.bundle", "bundle"));
        Files.createDirectories(dir.resolve("catalog"));
        Files.createDirectories(dir.resolve("policies"));
        Files.copy(source.resolve("bundle.yaml"), dir.resolve("bundle.yaml"));
        Files.copy(source.resolve("catalog/regions.yaml"), dir.resolve("catalog/regions.yaml"));
        Files.copy(source.resolve("catalog/prices-litellm.yaml"), dir.resolve("catalog/prices-litellm.yaml"));
        Files.writeString(dir.resolve("policies/generated.yaml"), policies(bundle.equals("all"), !bundle.equals("no-cel")));
        BundleLoader.Result r = BundleLoader.load(dir);
        if (!r.ok()) {
            throw new IllegalStateException(r.problems().toString());
        }
        engine = new PolicyEngine(r.bundle());
        if (r.bundle().policies().size() < 45) {
            throw new IllegalStateException("expected ~50 policies, got " + r.bundle().policies().size());
        }
        calls = mix.equals("typical") ? typical(4096, new Random(42)) : calls(4096, new Random(42));
    }

    static String policies(boolean priceChecks, boolean cel) {
        StringBuilder b = new StringBuilder("policies:\n");
        String[] tenants = {"acme-eu", "globex-us", "initech-eu", "umbrella-apac", "hooli-us"};
        for (int i = 0; i < 10; i++) {
            b.append("  - {id: residency-").append(i).append(", kind: residency, match: {tenant: [").append(tenants[i % 5])
                    .append("], data_classification: [pii, phi, confidential]}, allowed_jurisdictions: [")
                    .append(tenants[i % 5].endsWith("eu") ? "eu" : tenants[i % 5].endsWith("us") ? "us" : "apac").append("]}\n");
        }
        b.append("  - {id: declared, kind: residency}\n");
        String[] clouds = {"aws", "azure", "gcp", "openai", "anthropic"};
        for (int i = 0; i < 15; i++) {
            b.append("  - {id: models-").append(i).append(", kind: model, match: {cloud: [").append(clouds[i % 5]).append("], team: [team-")
                    .append(i % 7).append("]}, allow_models: [gpt-5.5, gpt-oss-120b, \"claude-sonnet-4-5*\", \"gemini-2.5-*\"]}\n");
        }
        for (int i = 0; i < 10; i++) {
            b.append("  - {id: budget-").append(i).append(", kind: budget, match: {cloud: [").append(clouds[i % 5])
                    .append("]}, per: [tenant, team], period: ").append(i % 3 == 0 ? "day" : "month")
                    .append(", limit: {amount: \"5000\", currency: USD}, thresholds: [50, 80, 100]}\n");
        }
        for (int i = 0; i < 5; i++) {
            b.append("  - {id: cap-").append(i).append(", kind: call_cap, match: {environment: [env-").append(i)
                    .append("]}, max_cost: {amount: \"2\", currency: USD}, max_total_tokens: 300000}\n");
        }
        if (priceChecks) {
            for (int i = 0; i < 2; i++) {
                b.append("  - {id: price-").append(i).append(", kind: price_check, match: {team: [team-").append(i).append("]}, min_saving_percent: 5}\n");
            }
        } else {
            b.append("  - {id: cap-x, kind: call_cap, max_total_tokens: 900000}\n  - {id: cap-y, kind: call_cap, max_input_tokens: 800000}\n");
        }
        for (int i = 0; i < 2 && !cel; i++) {
            b.append("  - {id: cap-env-").append(i).append(", kind: call_cap, match: {environment: [env-").append(i)
                    .append("]}, max_input_tokens: 500000}\n");
        }
        for (int i = 0; i < 2 && cel; i++) {
            b.append("  - {id: custom-").append(i).append(", kind: custom, match: {environment: [env-").append(i)
                    .append("]}, condition: \"!('cost_center' in event.tags)\"}\n");
        }
        b.append("  - {id: phi-no-openai, kind: model, match: {data_classification: [phi]}, deny_clouds: [openai]}\n");
        b.append("  - {id: no-old-models, kind: model, deny_models: [\"gpt-3.5*\", \"claude-instant*\"]}\n");
        b.append("  - {id: prod-cap, kind: call_cap, match: {environment: [prod]}, max_cost: {amount: \"10\", currency: USD}}\n");
        return b.toString();
    }

    static LlmCall[] calls(int n, Random rnd) {
        String[][] routes = {
                {"aws", "eu-central-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                {"aws", "eu-central-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                {"aws", "us-east-1", "openai.gpt-oss-120b-1:0", null},
                {"azure", "swedencentral", "gpt-5.5", "data_zone"},
                {"azure", "swedencentral", "gpt-5.5", "global"},
                {"azure", "eastus2", "gpt-5.5", "regional"},
                {"gcp", "europe-west4", "gemini-2.5-flash", null},
                {"openai", null, "gpt-5.5", null},
                {"openai", null, "my-finetune", null},
        };
        String[] tenants = {"acme-eu", "globex-us", "initech-eu", "umbrella-apac", "hooli-us"};
        String[] classes = {"public", "internal", "confidential", "pii", "phi"};
        LlmCall[] out = new LlmCall[n];
        Instant start = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < n; i++) {
            String[] r = routes[rnd.nextInt(routes.length)];
            out[i] = LlmCall.builder("evt-" + i, start.plusSeconds(i * 7L)).tenant(tenants[rnd.nextInt(5)]).team("team-" + rnd.nextInt(7))
                    .app("app-" + rnd.nextInt(20)).environment(rnd.nextInt(4) == 0 ? "prod" : "env-" + rnd.nextInt(6))
                    .cloud(r[0]).region(r[1]).requestModel(r[2]).scope(dev.llmaudit.policy.model.Scope.parse(r[3]))
                    .dataClassification(classes[rnd.nextInt(5)]).dataResidency(rnd.nextInt(5) == 0 ? "eu" : null)
                    .inputTokens((long) rnd.nextInt(20_000)).outputTokens((long) rnd.nextInt(2_000))
                    .cachedInputTokens((long) rnd.nextInt(1_000)).tags(rnd.nextBoolean() ? Map.of("cost_center", "CC-1") : Map.of())
                    .build();
        }
        return out;
    }

    /** Each tenant uses routes that satisfy its residency; 2% of calls take a random route instead. */
    static LlmCall[] typical(int n, Random rnd) {
        Object[][] byTenant = {
                {"acme-eu", "eu", new String[][] {{"aws", "eu-central-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", null},
                        {"azure", "swedencentral", "gpt-5.5", "data_zone"}, {"gcp", "europe-west4", "gemini-2.5-flash", "regional"}}},
                {"initech-eu", "eu", new String[][] {{"azure", "francecentral", "gpt-5.5", "regional"},
                        {"aws", "eu-west-1", "openai.gpt-oss-120b-1:0", null}}},
                {"globex-us", "us", new String[][] {{"aws", "us-east-1", "openai.gpt-oss-120b-1:0", null},
                        {"azure", "eastus2", "gpt-5.5", "regional"}, {"aws", "us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", null}}},
                {"hooli-us", "us", new String[][] {{"gcp", "us-central1", "gemini-2.5-flash", "regional"},
                        {"azure", "eastus2", "gpt-5.5", "data_zone"}}},
                {"umbrella-apac", "apac", new String[][] {{"aws", "ap-northeast-1", "openai.gpt-oss-120b-1:0", null}}},
        };
        LlmCall[] random = calls(n, new Random(7));
        String[] classes = {"public", "internal", "confidential", "pii"};
        LlmCall[] out = new LlmCall[n];
        Instant start = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < n; i++) {
            if (rnd.nextInt(100) < 2) {
                out[i] = random[i];
                continue;
            }
            Object[] t = byTenant[rnd.nextInt(byTenant.length)];
            String[][] routes = (String[][]) t[2];
            String[] r = routes[rnd.nextInt(routes.length)];
            out[i] = LlmCall.builder("evt-" + i, start.plusSeconds(i * 7L)).tenant((String) t[0]).team("team-" + rnd.nextInt(7))
                    .app("app-" + rnd.nextInt(20)).environment(rnd.nextInt(4) == 0 ? "prod" : "env-" + rnd.nextInt(6))
                    .cloud(r[0]).region(r[1]).requestModel(r[2]).scope(dev.llmaudit.policy.model.Scope.parse(r[3]))
                    .dataClassification(classes[rnd.nextInt(classes.length)]).dataResidency(rnd.nextInt(5) == 0 ? (String) t[1] : null)
                    .inputTokens((long) rnd.nextInt(20_000)).outputTokens((long) rnd.nextInt(2_000))
                    .cachedInputTokens((long) rnd.nextInt(1_000)).tags(Map.of("cost_center", "CC-" + rnd.nextInt(9)))
                    .build();
        }
        return out;
    }

    @Benchmark
    public Evaluation evaluate() {
        LlmCall c = calls[next];
        next = (next + 1) & (calls.length - 1);
        return engine.evaluate(c);
    }
}
