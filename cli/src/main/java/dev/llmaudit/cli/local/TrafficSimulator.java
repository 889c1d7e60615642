package dev.llmaudit.cli.local;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Realistic multi-cloud LLM calls in the canonical JSON form, as apps would log them: Azure OpenAI
 * (regional, data-zone and global deployments), Bedrock (regional and us./eu./global. inference
 * profiles), Vertex AI and OpenAI direct; several tenants and teams; EU personal data sometimes sent
 * through global routes (residency breaches), a team whose big jobs run over its monthly budget, a
 * model with no price, health data sent to OpenAI direct, an app without a cost-center tag, and failed
 * calls. Deterministic for a seed.
 */
final class TrafficSimulator {
    /** One kind of call; {@code weight} out of the sum of weights. */
    record Kind(String name, int weight, String tenant, String team, String app, String cloud, String region, String scope,
                String model, String provider, String classification, long maxInput, long maxOutput) {}

    static final List<Kind> KINDS = List.of(
            new Kind("azure eu data zone, pii", 14, "acme-eu", "claims", "triage", "azure", "swedencentral", "data_zone", "gpt-5.5",
                    "azure.ai.openai", "pii", 4000, 600),
            new Kind("azure global deployment, pii (breach)", 3, "acme-eu", "claims", "triage", "azure", "swedencentral", "global",
                    "gpt-5.5", "azure.ai.openai", "pii", 4000, 600),
            new Kind("azure regional", 10, "acme", "support", "helpdesk", "azure", "eastus2", "regional", "gpt-5-mini", "azure.ai.openai",
                    "internal", 3000, 400),
            new Kind("bedrock eu. profile, pii", 10, "acme-eu", "search", "rag", "aws", "eu-central-1", null,
                    "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws.bedrock", "pii", 6000, 800),
            new Kind("bedrock global. profile, pii (breach)", 3, "acme-eu", "search", "rag", "aws", "eu-central-1", null,
                    "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws.bedrock", "pii", 6000, 800),
            new Kind("bedrock regional gpt-oss", 12, "globex-us", "risk", "scoring", "aws", "us-east-1", null, "openai.gpt-oss-120b-1:0",
                    "aws.bedrock", "internal", 2000, 300),
            new Kind("bedrock us. profile", 6, "globex-us", "risk", "scoring", "aws", "us-west-2", null,
                    "us.anthropic.claude-haiku-4-5-20251001-v1:0", "aws.bedrock", "internal", 2000, 300),
            new Kind("vertex ai", 10, "acme", "growth", "copywriter", "gcp", "europe-west4", null, "gemini-2.5-flash", "gcp.vertex_ai",
                    "public", 1500, 700),
            new Kind("openai direct", 12, "acme", "growth", "copywriter", "openai", null, null, "gpt-5.5", "openai", "public", 2500, 500),
            new Kind("openai direct, phi (forbidden)", 1, "acme", "care", "notes", "openai", null, null, "gpt-5.5", "openai", "phi", 2500, 500),
            new Kind("unpriced in-house model", 4, "acme", "labs", "prototype", "other", null, null, "acme-private-llm-7b", "vllm",
                    "internal", 1000, 200),
            new Kind("big batch jobs (runs over budget)", 3, "acme", "analytics", "nightly-summaries", "azure", "eastus2", "regional",
                    "gpt-5.5", "azure.ai.openai", "internal", 400_000, 3_000_000));

    private final Random random;
    private final Clock clock;
    private final int totalWeight = KINDS.stream().mapToInt(Kind::weight).sum();

    TrafficSimulator(long seed, Clock clock) {
        this.random = new Random(seed);
        this.clock = clock;
    }

    /** The next call, as an app would log it. */
    ObjectNode next() {
        int pick = random.nextInt(totalWeight);
        Kind k = KINDS.get(0);
        for (Kind kind : KINDS) {
            pick -= kind.weight();
            if (pick < 0) {
                k = kind;
                break;
            }
        }
        return call(k);
    }

    /** The next {@code n} calls, of mixed tenants (the caller groups them per API key). */
    List<ObjectNode> batch(int n) {
        List<ObjectNode> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    private ObjectNode call(Kind k) {
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        e.put("event_id", UUID.randomUUID().toString());
        e.put("event_time", clock.instant().toString());
        e.put("tenant", k.tenant());
        e.put("team", k.team());
        e.put("app", k.app());
        e.put("environment", "prod");
        e.put("cloud", k.cloud());
        if (k.region() != null) {
            e.put("region", k.region());
        }
        if (k.scope() != null) {
            e.put("deployment_scope", k.scope());
        }
        e.put("provider", k.provider());
        e.put("operation", "chat");
        e.put("request_model", k.model());
        e.put("data_classification", k.classification());
        boolean failed = random.nextInt(50) == 0;
        if (failed) {
            e.put("status", "error");
            e.put("error_type", "rate_limit");
            e.put("http_status", 429);
            e.put("latency_ms", 20 + random.nextInt(80));
        } else {
            long input = 50 + (long) (random.nextDouble() * k.maxInput());
            e.put("input_tokens", input);
            e.put("output_tokens", 10 + (long) (random.nextDouble() * k.maxOutput()));
            if (random.nextInt(4) == 0) {
                e.put("cached_input_tokens", input / 2);
            }
            e.put("latency_ms", 200 + random.nextInt(4000));
            e.put("status", "ok");
        }
        // Most apps tag their cost center (finance's chargeback policy flags the ones that do not).
        if (!k.team().equals("labs")) {
            e.putObject("tags").put("cost_center", "cc-" + k.team());
        }
        e.put("source", "llm-audit local simulator (" + k.name() + ")");
        return e;
    }
}
