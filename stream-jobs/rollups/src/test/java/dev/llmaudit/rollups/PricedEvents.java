package dev.llmaudit.rollups;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.jobs.PricedCalls;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Priced events as the enforcer writes them: multi-cloud calls evaluated by the real engine with the
 * default bundle (EU pii through data zones and global deployments, an unpriced model, failed calls,
 * reported costs).
 */
final class PricedEvents {
    static final Path BUNDLE = Path.of("..", "..", "policies", "bundle").toAbsolutePath().normalize();
    static final PolicyEngine ENGINE;
    static final String ARCHIVE;

    static {
        BundleLoader.Result r = BundleLoader.load(BUNDLE);
        if (!r.ok()) {
            throw new IllegalStateException(r.problems().toString());
        }
        ENGINE = new PolicyEngine(r.bundle());
        try {
            ARCHIVE = BundleArchive.pack(BUNDLE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private PricedEvents() {}

    static PricedLlmCall price(LlmCallEvent e) {
        return PricedCalls.of(e, ENGINE.evaluate(LlmCalls.from(e)), ENGINE.bundle().prices().currency(), List.of(), Instant.EPOCH);
    }

    static UsageSample sample(LlmCallEvent e) {
        return UsageSamples.from(price(e), "USD");
    }

    /** Calls of 8 kinds spread uniformly over [start, start + span), in random order of time. */
    static List<LlmCallEvent> calls(int n, Instant start, Duration span, long seed) {
        Random rnd = new Random(seed);
        List<LlmCallEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Instant t = start.plusMillis((long) (rnd.nextDouble() * span.toMillis()));
            out.add(call("e-" + seed + "-" + i, t, i % 8, rnd));
        }
        return out;
    }

    static LlmCallEvent call(String id, Instant t, int kind, Random rnd) {
        LlmCallEvent.Builder b = LlmCallEvent.newBuilder().setEventId(id).setEventTime(t)
                .setInputTokens(100L + rnd.nextInt(5000)).setOutputTokens(20L + rnd.nextInt(800))
                .setLatencyMs(50L + rnd.nextInt(3000)).setStatus(CallStatus.ok);
        switch (kind) {
            case 0 -> b.setTenant("acme-eu").setTeam("claims").setApp("triage").setProvider("azure.ai.openai").setCloud(Cloud.azure).setRegion("swedencentral")
                    .setDeploymentScope(DeploymentScope.data_zone).setRequestModel("gpt-5.5").setDataClassification("pii")
                    .setCachedInputTokens(50L);
            case 1 -> b.setTenant("acme-eu").setTeam("claims").setApp("triage").setProvider("azure.ai.openai").setCloud(Cloud.azure).setRegion("swedencentral")
                    .setDeploymentScope(DeploymentScope.global).setRequestModel("gpt-5.5").setDataClassification("pii");
            case 2 -> b.setTenant("acme-eu").setTeam("search").setProvider("aws.bedrock").setCloud(Cloud.aws).setRegion("eu-central-1")
                    .setRequestModel("eu.anthropic.claude-sonnet-4-5-20250929-v1:0").setDataClassification("pii");
            case 3 -> b.setTenant("acme-eu").setTeam("search").setProvider("aws.bedrock").setCloud(Cloud.aws).setRegion("eu-central-1")
                    .setRequestModel("global.anthropic.claude-sonnet-4-5-20250929-v1:0").setDataClassification("pii");
            case 4 -> b.setTenant("acme").setTeam("growth").setProvider("openai").setCloud(Cloud.openai).setRequestModel("gpt-5.5")
                    .setReportedCost(Money.newBuilder().setAmount(new BigDecimal("0.010000000000")).setCurrency("USD").build())
                    .setReasoningTokens(20L);
            case 5 -> b.setTenant("acme").setTeam("growth").setProvider("gcp.vertex_ai").setCloud(Cloud.gcp).setRegion("europe-west4").setRequestModel("gemini-2.5-flash");
            case 6 -> b.setTenant("acme").setTeam("labs").setCloud(Cloud.other).setRequestModel("acme-private-llm-7b");
            default -> b.setTenant("acme").setTeam("growth").setProvider("openai").setCloud(Cloud.openai).setRequestModel("gpt-5.5").setStatus(CallStatus.error)
                    .setInputTokens(null).setOutputTokens(null).setErrorType("rate_limit").setHttpStatus(429);
        }
        return b.build();
    }
}
