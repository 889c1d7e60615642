package dev.llmaudit.ingest.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.Expected;
import dev.llmaudit.ingest.FakeHttpServer;
import dev.llmaudit.ingest.ShippedPrices;
import dev.llmaudit.ingest.TestEvents;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import dev.llmaudit.ingest.client.LlmAuditContext;
import dev.llmaudit.ingest.openai.OpenAiStreamingCaptureIT;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's OpenAI chat models, plain and streaming, with the listener, against a local fake
 * OpenAI (JSON and server-sent events); events land on a real broker and are priced with the
 * shipped catalog.
 */
@ExtendWith(KafkaClusterExtension.class)
class LangChain4jCaptureIT {
    static final String KEY = "lc4j-key";

    @Test
    void chatAndStreamingChatAreRecordedOnceWithContextTokensAndCost(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                   @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer fake = new FakeHttpServer(OpenAiStreamingCaptureIT::openAi);
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey(KEY.getBytes(StandardCharsets.UTF_8)).build(),
                     new SimpleMeterRegistry())) {
            LlmAuditChatModelListener listener = LlmAuditChatModelListener.create(audit);
            ChatModel chat = OpenAiChatModel.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").modelName("gpt-5.5").maxRetries(0)
                    .listeners(List.of(listener)).build();
            StreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test")
                    .modelName("gpt-5.5").listeners(List.of(listener)).build();

            try (LlmAuditContext ctx = LlmAuditContext.open().dataClassification("pii").tag("team", "claims")) {
                assertThat(chat.chat("Hi")).isEqualTo("Hello!");
                CompletableFuture<ChatResponse> done = new CompletableFuture<>();
                // The user message names the fake's case; the stream answers "Hello" with a usage chunk (LangChain4j asks for it).
                streaming.chat("streamed", new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String partial) { }

                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        done.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
                assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo("Hello");
            }
            assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").modelName("no-such-model")
                    .maxRetries(0).listeners(List.of(listener)).build().chat("Hi")).hasMessageContaining("model not found");

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
        assertThat(events).as("one event per call").hasSize(3);
        LlmCallEvent plain = events.stream().filter(e -> "chatcmpl-42".equals(e.getRequestId())).findFirst().orElseThrow();
        LlmCallEvent streamed = events.stream().filter(e -> "chatcmpl-streamed".equals(e.getRequestId())).findFirst().orElseThrow();
        for (LlmCallEvent e : List.of(plain, streamed)) {
            assertThat(e.getStatus()).isEqualTo(CallStatus.ok);
            assertThat(e.getCloud()).isEqualTo(Cloud.openai);
            assertThat(e.getProvider()).isEqualTo("openai");
            assertThat(e.getDeploymentScope()).isEqualTo(DeploymentScope.global);
            assertThat(e.getRequestModel()).isEqualTo("gpt-5.5");
            assertThat(e.getResponseModel()).isEqualTo("gpt-5.5-2026-04-23");
            assertThat(List.of(e.getInputTokens(), e.getCachedInputTokens(), e.getOutputTokens(), e.getReasoningTokens()))
                    .as("OpenAI's usage details too").containsExactly(30L, 8L, 10L, 4L);
            assertThat(e.getDataClassification()).as("the caller's context").isEqualTo("pii");
            assertThat(e.getTags()).containsEntry("team", "claims");
            // OpenAI gpt-5.5, USD per million (catalog 2026-07-01): input 5, cached 0.5, output 30.
            assertThat(ShippedPrices.cost(e)).isEqualByComparingTo(Expected.usd(22, "5", 8, "0.5", 10, "30"));
        }
        assertThat(plain.getPromptHash()).isEqualTo(Expected.hmacSha256(KEY, "Hi"));
        assertThat(plain.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Hello!"));
        assertThat(streamed.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Hello"));

        LlmCallEvent failed = events.stream().filter(e -> e.getStatus() == CallStatus.error).findFirst().orElseThrow();
        assertThat(failed.getRequestModel()).isEqualTo("no-such-model");
        assertThat(failed.getErrorType()).isNotBlank();
    }
}
