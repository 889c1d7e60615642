package dev.llmaudit.ingest.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.azure.AzureOpenAIServiceVersion;
import com.openai.azure.AzureUrlPathMode;
import com.openai.azure.credential.AzureApiKeyCredential;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.FakeHttpServer;
import dev.llmaudit.ingest.TestEvents;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The official openai-java client against a local fake OpenAI / Azure OpenAI; events land on a real broker. */
@ExtendWith(KafkaClusterExtension.class)
class OpenAiCaptureIT {
    static final String COMPLETION = """
            {"id":"chatcmpl-42","object":"chat.completion","created":1764165933,"model":"gpt-5.5-2026-04-23",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":30,"completion_tokens":10,"total_tokens":40,
                      "prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":4}}}""";

    @Test
    void recordsOpenAiDirectAndAzureDeployments(KafkaCluster cluster, EmbeddedSchemaRegistry registry, @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer fake = new FakeHttpServer(req -> req.body().contains("\"no-such-model\"")
                ? new FakeHttpServer.Answer(404, Map.of(), "{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}")
                : new FakeHttpServer.Answer(200, Map.of("x-request-id", "req-1"), COMPLETION));
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).build(), new SimpleMeterRegistry())) {

            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").maxRetries(0)
                    .addInterceptor(OpenAiAuditInterceptor.openAi(audit, null)).build();
            var reply = openai.chat().completions().create(ChatCompletionCreateParams.builder().model("gpt-5.5").addUserMessage("Hi").build());
            assertThat(reply.choices().get(0).message().content()).contains("Hello!");
            try {
                openai.chat().completions().create(ChatCompletionCreateParams.builder().model("no-such-model").addUserMessage("Hi").build());
            } catch (RuntimeException expected) {
                // the app sees the SDK's own error; the audit event records it
            }

            OpenAIClient azure = OpenAIOkHttpClient.builder().baseUrl(fake.url()).credential(AzureApiKeyCredential.create("azure-key"))
                    .azureServiceVersion(AzureOpenAIServiceVersion.fromString("2024-10-21")).azureUrlPathMode(AzureUrlPathMode.LEGACY)
                    .maxRetries(0).addInterceptor(OpenAiAuditInterceptor.azure(audit, "swedencentral", DeploymentScope.data_zone)).build();
            azure.chat().completions().create(ChatCompletionCreateParams.builder().model("claims-gpt55").addUserMessage("Hej").build());

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(fake.seen()).extracting(FakeHttpServer.Seen::path)
                    .contains("/v1/chat/completions", "/openai/deployments/claims-gpt55/chat/completions");
        }

        List<LlmCallEvent> events = TestEvents.readAll(cluster, registry.url(), topic, 3, Duration.ofSeconds(30)).stream()
                .map(ConsumerRecord::value).toList();
        assertThat(events).hasSize(3);
        LlmCallEvent direct = events.stream().filter(e -> "gpt-5.5".equals(e.getRequestModel())).findFirst().orElseThrow();
        assertThat(direct.getCloud()).isEqualTo(Cloud.openai);
        assertThat(direct.getProvider()).isEqualTo("openai");
        assertThat(direct.getDeploymentScope()).isEqualTo(DeploymentScope.global);
        assertThat(direct.getOperation()).isEqualTo(Operation.chat);
        assertThat(direct.getResponseModel()).isEqualTo("gpt-5.5-2026-04-23");
        assertThat(direct.getInputTokens()).isEqualTo(30L);
        assertThat(direct.getCachedInputTokens()).isEqualTo(8L);
        assertThat(direct.getOutputTokens()).isEqualTo(10L);
        assertThat(direct.getReasoningTokens()).isEqualTo(4L);
        assertThat(direct.getRequestId()).isEqualTo("chatcmpl-42");
        assertThat(direct.getPromptHash()).as("no HMAC key configured: no hash").isNull();

        LlmCallEvent failed = events.stream().filter(e -> "no-such-model".equals(e.getRequestModel())).findFirst().orElseThrow();
        assertThat(failed.getStatus()).isEqualTo(CallStatus.error);
        assertThat(failed.getErrorType()).isEqualTo("model_not_found");
        assertThat(failed.getHttpStatus()).isEqualTo(404);

        LlmCallEvent viaAzure = events.stream().filter(e -> e.getCloud() == Cloud.azure).findFirst().orElseThrow();
        assertThat(viaAzure.getProvider()).isEqualTo("azure.ai.openai");
        assertThat(viaAzure.getRegion()).isEqualTo("swedencentral");
        assertThat(viaAzure.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(viaAzure.getRequestModel()).isIn("claims-gpt55", "gpt-5.5");
        assertThat(viaAzure.getResponseModel()).isEqualTo("gpt-5.5-2026-04-23");
    }
}
