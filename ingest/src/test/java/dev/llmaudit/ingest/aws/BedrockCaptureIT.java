package dev.llmaudit.ingest.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.ingest.Expected;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.FakeHttpServer;
import dev.llmaudit.ingest.TestEvents;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import dev.llmaudit.ingest.client.LlmAuditContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.Message;
import software.amazon.awssdk.services.bedrockruntime.model.ValidationException;

/** The real AWS SDK Bedrock client against a local fake Bedrock; events land on a real broker. */
@ExtendWith(KafkaClusterExtension.class)
class BedrockCaptureIT {
    static final String CONVERSE = """
            {"output":{"message":{"role":"assistant","content":[{"text":"Your claim is covered."}]}},"stopReason":"end_turn",
             "usage":{"inputTokens":1200,"outputTokens":85,"totalTokens":1285,"cacheReadInputTokens":1024},"metrics":{"latencyMs":640}}""";

    @Test
    void recordsConverseInvokeModelAndErrors(KafkaCluster cluster, EmbeddedSchemaRegistry registry, @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer bedrock = new FakeHttpServer(req -> {
            if (req.path().contains("/model/nope/")) {
                return new FakeHttpServer.Answer(400, Map.of("x-amzn-ErrorType", "ValidationException:http://internal",
                        "x-amzn-RequestId", "req-err"), "{\"message\":\"The provided model identifier is invalid.\"}");
            }
            if (req.path().endsWith("/invoke")) {
                return new FakeHttpServer.Answer(200, Map.of("X-Amzn-Bedrock-Input-Token-Count", "20",
                        "X-Amzn-Bedrock-Output-Token-Count", "7", "x-amzn-RequestId", "req-inv"), "{\"completion\":\"ok\"}");
            }
            return new FakeHttpServer.Answer(200, Map.of("x-amzn-RequestId", "req-conv"), CONVERSE);
        });
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey("secret".getBytes())
                     .defaultAttribute("app", "claims-assistant").build(), new SimpleMeterRegistry());
             BedrockRuntimeClient client = BedrockRuntimeClient.builder()
                     .endpointOverride(URI.create(bedrock.url()))
                     .region(Region.EU_CENTRAL_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                     .httpClient(UrlConnectionHttpClient.create())
                     .overrideConfiguration(c -> c.addExecutionInterceptor(new BedrockAuditInterceptor(audit)))
                     .build()) {

            try (LlmAuditContext ctx = LlmAuditContext.open().dataClassification("pii").dataResidency("eu").tag("project", "claims")) {
                var reply = client.converse(r -> r.modelId("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
                        .messages(Message.builder().role(ConversationRole.USER).content(ContentBlock.fromText("Is my claim covered?")).build()));
                assertThat(reply.output().message().content().get(0).text()).isEqualTo("Your claim is covered.");
            }
            client.invokeModel(r -> r.modelId("global.anthropic.claude-sonnet-4-5-20250929-v1:0").body(SdkBytes.fromUtf8String("{}")));
            assertThatThrownBy(() -> client.converse(r -> r.modelId("nope")
                    .messages(Message.builder().role(ConversationRole.USER).content(ContentBlock.fromText("x")).build())))
                    .isInstanceOf(ValidationException.class);

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        Map<String, LlmCallEvent> byModel = TestEvents.readToEnd(cluster, registry.url(), topic).stream()
                .map(ConsumerRecord::value).collect(Collectors.toMap(LlmCallEvent::getRequestModel, e -> e));
        assertThat(byModel).hasSize(3);

        LlmCallEvent converse = byModel.get("eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(converse.getCloud()).isEqualTo(Cloud.aws);
        assertThat(converse.getProvider()).isEqualTo("aws.bedrock");
        assertThat(converse.getRegion()).isEqualTo("eu-central-1");
        assertThat(converse.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(converse.getInputTokens()).isEqualTo(2224L);   // 1200 + 1024 cache reads
        assertThat(converse.getCachedInputTokens()).isEqualTo(1024L);
        assertThat(converse.getOutputTokens()).isEqualTo(85L);
        assertThat(converse.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(converse.getRequestId()).isEqualTo("req-conv");
        assertThat(converse.getDataClassification()).isEqualTo("pii");
        assertThat(converse.getDataResidency()).isEqualTo("eu");
        assertThat(converse.getTags()).containsEntry("project", "claims");
        assertThat(converse.getApp()).isEqualTo("claims-assistant");
        // HMAC-SHA256 with the client's key of the messages' text and of the answer's text, computed here with the JDK.
        assertThat(converse.getPromptHash()).isEqualTo(Expected.hmacSha256("secret", "Is my claim covered?"));
        assertThat(converse.getResponseHash()).isEqualTo(Expected.hmacSha256("secret", "Your claim is covered."));
        assertThat(converse.getLatencyMs()).isNotNull().isGreaterThanOrEqualTo(0L);

        LlmCallEvent invoke = byModel.get("global.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(invoke.getDeploymentScope()).isEqualTo(DeploymentScope.global);
        assertThat(invoke.getInputTokens()).isEqualTo(20L);
        assertThat(invoke.getOutputTokens()).isEqualTo(7L);
        assertThat(invoke.getDataClassification()).as("context closed").isNull();

        LlmCallEvent failed = byModel.get("nope");
        assertThat(failed.getStatus()).isEqualTo(CallStatus.error);
        assertThat(failed.getErrorType()).isEqualTo("ValidationException");
        assertThat(failed.getHttpStatus()).isEqualTo(400);
        assertThat(failed.getInputTokens()).isNull();
    }

    static BedrockRuntimeClient bedrock(FakeHttpServer fake, LlmAuditClient audit) {
        return BedrockRuntimeClient.builder().endpointOverride(URI.create(fake.url())).region(Region.EU_CENTRAL_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClient(UrlConnectionHttpClient.create())
                // One attempt: the SDK would retry a throttled call; the event is about the app's call as it ended.
                .overrideConfiguration(c -> c.addExecutionInterceptor(new BedrockAuditInterceptor(audit)).retryStrategy(b -> b.maxAttempts(1)))
                .build();
    }

    static Message user(String text) {
        return Message.builder().role(ConversationRole.USER).content(ContentBlock.fromText(text)).build();
    }

    @Test
    void recordsArnModelIdsThrottlingAndCacheWritesAndNeverFailsTheAppsCall(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                           @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        String arn = "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
        try (FakeHttpServer fake = new FakeHttpServer(req -> {
            if (req.body().contains("throttle me")) {
                return new FakeHttpServer.Answer(429, Map.of("x-amzn-ErrorType", "ThrottlingException:http://internal", "x-amzn-RequestId", "req-429"),
                        "{\"message\":\"Too many requests, please wait before trying again.\"}");
            }
            if (req.body().contains("absurd")) {
                // 2 billion input tokens: outside the contract (at most 10^9). The app still gets its answer; the event is a dead letter.
                return new FakeHttpServer.Answer(200, Map.of("x-amzn-RequestId", "req-abs"), """
                        {"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn",
                         "usage":{"inputTokens":2000000000,"outputTokens":1,"totalTokens":2000000001}}""");
            }
            return new FakeHttpServer.Answer(200, Map.of("x-amzn-RequestId", "req-cw"), """
                    {"output":{"message":{"role":"assistant","content":[{"text":"Noted."}]}},"stopReason":"end_turn",
                     "usage":{"inputTokens":100,"outputTokens":20,"totalTokens":620,"cacheReadInputTokens":0,"cacheWriteInputTokens":500}}""");
        });
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).build(), new SimpleMeterRegistry());
             BedrockRuntimeClient client = bedrock(fake, audit)) {
            client.converse(r -> r.modelId(arn).messages(user("Remember this long context.")));
            assertThatThrownBy(() -> client.converse(r -> r.modelId("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
                    .messages(user("throttle me")))).isInstanceOf(software.amazon.awssdk.services.bedrockruntime.model.ThrottlingException.class)
                    .hasMessageContaining("Too many requests");
            var absurd = client.converse(r -> r.modelId("eu.anthropic.claude-sonnet-4-5-20250929-v1:0").messages(user("absurd")));
            assertThat(absurd.output().message().content().get(0).text()).as("the app's call is untouched").isEqualTo("ok");

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((audit.stats().sent() < 2 || audit.stats().deadLettered() < 1) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(audit.stats().invalid()).isEqualTo(1);
            assertThat(java.nio.file.Files.readString(audit.deadLetterFile())).contains("input_tokens: must be between 0 and 1000000000");
        }
        Map<String, LlmCallEvent> byRequest = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value)
                .collect(Collectors.toMap(LlmCallEvent::getRequestId, e -> e));
        assertThat(byRequest).containsOnlyKeys("req-cw", "req-429");

        LlmCallEvent viaArn = byRequest.get("req-cw");
        assertThat(viaArn.getRequestModel()).as("the ARN reduced to the profile id").isEqualTo("eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(viaArn.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(viaArn.getInputTokens()).as("100 + 500 cache writes + 0 cache reads").isEqualTo(600L);
        assertThat(viaArn.getCachedInputTokens()).isEqualTo(0L);
        assertThat(viaArn.getOutputTokens()).isEqualTo(20L);

        LlmCallEvent throttled = byRequest.get("req-429");
        assertThat(throttled.getStatus()).isEqualTo(CallStatus.error);
        assertThat(throttled.getErrorType()).isEqualTo("ThrottlingException");
        assertThat(throttled.getHttpStatus()).isEqualTo(429);
        assertThat(throttled.getInputTokens()).isNull();
    }

    @Test
    void aClosedAuditClientNeverFailsTheAppsCall(@TempDir Path spool, EmbeddedSchemaRegistry registry) throws Exception {
        try (FakeHttpServer fake = new FakeHttpServer(req -> new FakeHttpServer.Answer(200, Map.of(), CONVERSE))) {
            LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl(registry.url())
                    .spoolDir(spool).build(), new SimpleMeterRegistry());
            audit.close();
            try (BedrockRuntimeClient client = bedrock(fake, audit)) {
                var reply = client.converse(r -> r.modelId("eu.anthropic.claude-sonnet-4-5-20250929-v1:0").messages(user("Is my claim covered?")));
                assertThat(reply.output().message().content().get(0).text()).isEqualTo("Your claim is covered.");
            }
            assertThat(audit.stats().dropped()).as("the event is counted as dropped, the call goes on").isEqualTo(1);
        }
    }
}
