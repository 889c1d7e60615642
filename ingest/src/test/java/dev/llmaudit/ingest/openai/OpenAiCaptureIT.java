package dev.llmaudit.ingest.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.azure.AzureOpenAIServiceVersion;
import com.openai.azure.AzureUrlPathMode;
import com.openai.azure.credential.AzureApiKeyCredential;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.llmaudit.ingest.Expected;
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
public class OpenAiCaptureIT {
    public static final String COMPLETION = """
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
            // The app sees the provider's error as the SDK reports it; the audit event records it.
            assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder().model("no-such-model")
                    .addUserMessage("Hi").build())).isInstanceOf(com.openai.errors.NotFoundException.class).hasMessageContaining("model not found");

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

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
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
        // The deployment name, as the app's request names it; the answering model is the model behind it.
        assertThat(viaAzure.getRequestModel()).isEqualTo("claims-gpt55");
        assertThat(viaAzure.getResponseModel()).isEqualTo("gpt-5.5-2026-04-23");
    }

    static final String EMBEDDING = """
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-3-small",
             "usage":{"prompt_tokens":8,"total_tokens":8}}""";
    static final String TEXT_COMPLETION = """
            {"id":"cmpl-7","object":"text_completion","created":1764165933,"model":"gpt-3.5-turbo-instruct",
             "choices":[{"text":"Paris.","index":0,"finish_reason":"stop","logprobs":null}],
             "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}""";
    static final String RESPONSE = """
            {"id":"resp_9","object":"response","created_at":1764165933,"model":"gpt-5.5-2026-04-23","status":"completed",
             "output":[{"type":"message","id":"msg_1","role":"assistant","status":"completed",
                        "content":[{"type":"output_text","text":"Done.","annotations":[]}]}],
             "usage":{"input_tokens":40,"input_tokens_details":{"cached_tokens":16},"output_tokens":12,
                      "output_tokens_details":{"reasoning_tokens":5},"total_tokens":52}}""";

    @Test
    void recordsEmbeddingsCompletionsAndTheResponsesApiWithExactHashes(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                      @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer fake = new FakeHttpServer(req -> req.path().endsWith("/embeddings") ? new FakeHttpServer.Answer(200, Map.of(), EMBEDDING)
                : req.path().endsWith("/responses") ? new FakeHttpServer.Answer(200, Map.of(), RESPONSE)
                : new FakeHttpServer.Answer(200, Map.of(), TEXT_COMPLETION));
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey("k".getBytes()).build(), new SimpleMeterRegistry())) {
            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").maxRetries(0)
                    .addInterceptor(OpenAiAuditInterceptor.openAi(audit, "eu")).build();
            openai.embeddings().create(com.openai.models.embeddings.EmbeddingCreateParams.builder().model("text-embedding-3-small")
                    .input("a sentence to embed").build());
            openai.completions().create(com.openai.models.completions.CompletionCreateParams.builder().model("gpt-3.5-turbo-instruct")
                    .prompt("The capital of France is").build());
            openai.responses().create(com.openai.models.responses.ResponseCreateParams.builder().model("gpt-5.5")
                    .input("Summarise the claim.").build());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        Map<Operation, LlmCallEvent> byOperation = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value)
                .collect(java.util.stream.Collectors.toMap(LlmCallEvent::getOperation, e -> e));
        assertThat(byOperation).containsOnlyKeys(Operation.embeddings, Operation.text_completion, Operation.responses);

        LlmCallEvent embedding = byOperation.get(Operation.embeddings);
        assertThat(embedding.getRequestModel()).isEqualTo("text-embedding-3-small");
        assertThat(embedding.getInputTokens()).isEqualTo(8L);
        assertThat(embedding.getOutputTokens()).as("embeddings produce no output tokens").isEqualTo(0L);
        assertThat(embedding.getRegion()).isEqualTo("eu");
        assertThat(embedding.getDeploymentScope()).isEqualTo(DeploymentScope.regional);
        assertThat(embedding.getPromptHash()).isEqualTo(Expected.hmacSha256("k", "a sentence to embed"));
        assertThat(embedding.getResponseHash()).isNull();

        LlmCallEvent completion = byOperation.get(Operation.text_completion);
        assertThat(List.of(completion.getInputTokens(), completion.getOutputTokens())).containsExactly(5L, 2L);
        assertThat(completion.getRequestId()).isEqualTo("cmpl-7");
        assertThat(completion.getPromptHash()).isEqualTo(Expected.hmacSha256("k", "The capital of France is"));
        assertThat(completion.getResponseHash()).isEqualTo(Expected.hmacSha256("k", "Paris."));

        LlmCallEvent response = byOperation.get(Operation.responses);
        assertThat(List.of(response.getInputTokens(), response.getCachedInputTokens(), response.getOutputTokens(), response.getReasoningTokens()))
                .containsExactly(40L, 16L, 12L, 5L);
        assertThat(response.getResponseModel()).isEqualTo("gpt-5.5-2026-04-23");
        assertThat(response.getRequestId()).isEqualTo("resp_9");
        assertThat(response.getPromptHash()).isEqualTo(Expected.hmacSha256("k", "Summarise the claim."));
        assertThat(response.getResponseHash()).isEqualTo(Expected.hmacSha256("k", "Done."));
    }

    @Test
    void neverFailsTheAppsCallWhenRecordingCannotWork(EmbeddedSchemaRegistry registry, @TempDir Path spool) throws Exception {
        // Usage the interceptor cannot read as counts, and an audit client that is already closed.
        String odd = COMPLETION.replace("\"prompt_tokens\":30", "\"prompt_tokens\":\"thirty\"");
        try (FakeHttpServer fake = new FakeHttpServer(req -> new FakeHttpServer.Answer(200, Map.of(), odd))) {
            LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl(registry.url())
                    .spoolDir(spool).build(), new SimpleMeterRegistry());
            audit.close();
            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").maxRetries(0)
                    .addInterceptor(OpenAiAuditInterceptor.openAi(audit, null)).build();
            var reply = openai.chat().completions().create(ChatCompletionCreateParams.builder().model("gpt-5.5").addUserMessage("Hi").build());
            assertThat(reply.choices().get(0).message().content()).contains("Hello!");
            assertThat(audit.stats().dropped()).isEqualTo(1);
        }
    }
}
