package dev.llmaudit.ingest.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

        Map<String, LlmCallEvent> byModel = TestEvents.readAll(cluster, registry.url(), topic, 3, Duration.ofSeconds(30)).stream()
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
        assertThat(converse.getPromptHash()).hasSize(64);
        assertThat(converse.getResponseHash()).hasSize(64).isNotEqualTo(converse.getPromptHash());
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
}
