package dev.llmaudit.ingest.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
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
import io.micrometer.observation.ObservationRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.api.OpenAiApi;

/**
 * Spring AI's OpenAI chat model (no Spring Boot: the observation registry wired by hand, as Boot
 * would), plain and streamed, against a local fake OpenAI; events land on a real broker and are
 * priced with the shipped catalog.
 */
@ExtendWith(KafkaClusterExtension.class)
class SpringAiCaptureIT {
    static final String KEY = "spring-ai-key";

    @Test
    void callsAndStreamsAreRecordedOnceWithContextTokensAndCost(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                              @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        try (FakeHttpServer fake = new FakeHttpServer(OpenAiStreamingCaptureIT::openAi);
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey(KEY.getBytes(StandardCharsets.UTF_8)).build(),
                     new SimpleMeterRegistry())) {
            ObservationRegistry observations = ObservationRegistry.create();
            observations.observationConfig().observationHandler(LlmAuditObservationHandler.create(audit));
            OpenAiApi api = OpenAiApi.builder().baseUrl(fake.url()).apiKey("sk-test").build();
            OpenAiChatModel chat = OpenAiChatModel.builder().openAiApi(api).observationRegistry(observations)
                    .defaultOptions(OpenAiChatOptions.builder().model("gpt-5.5").build()).build();
            OpenAiChatModel streamingWithUsage = OpenAiChatModel.builder().openAiApi(api).observationRegistry(observations)
                    .defaultOptions(OpenAiChatOptions.builder().model("gpt-5.5").streamUsage(true).build()).build();

            try (LlmAuditContext ctx = LlmAuditContext.open().dataResidency("eu").tag("team", "claims")) {
                assertThat(chat.call(new Prompt("Hi")).getResult().getOutput().getText()).isEqualTo("Hello!");
                assertThat(streamingWithUsage.stream(new Prompt("streamed")).collectList().block(Duration.ofSeconds(30)).stream()
                        .map(ChatResponse::getResult).filter(r -> r != null && r.getOutput().getText() != null)
                        .map(r -> r.getOutput().getText()).collect(Collectors.joining())).isEqualTo("Hello");
                // Spring AI's default: no usage asked for in streams.
                chat.stream(new Prompt("silent")).collectList().block(Duration.ofSeconds(30));
            }
            assertThatThrownBy(() -> chat.call(new Prompt("Hi", OpenAiChatOptions.builder().model("no-such-model").build())))
                    .hasMessageContaining("model not found");

            // A stream's observation stops on a reactor thread, just after the app saw the last chunk.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
        assertThat(events).as("one event per call").hasSize(4);
        Map<String, LlmCallEvent> byId = events.stream().filter(e -> e.getRequestId() != null)
                .collect(Collectors.toMap(LlmCallEvent::getRequestId, e -> e));

        LlmCallEvent plain = byId.get("chatcmpl-42");
        assertThat(plain.getCloud()).isEqualTo(Cloud.openai);
        assertThat(plain.getRequestModel()).isEqualTo("gpt-5.5");
        assertThat(List.of(plain.getInputTokens(), plain.getCachedInputTokens(), plain.getOutputTokens(), plain.getReasoningTokens()))
                .as("OpenAI's usage details too").containsExactly(30L, 8L, 10L, 4L);
        assertThat(plain.getDataResidency()).as("the caller's context").isEqualTo("eu");
        assertThat(plain.getPromptHash()).isEqualTo(Expected.hmacSha256(KEY, "Hi"));
        assertThat(plain.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Hello!"));
        // OpenAI gpt-5.5, USD per million (catalog 2026-07-01): input 5, cached 0.5, output 30.
        assertThat(ShippedPrices.cost(plain)).isEqualByComparingTo(Expected.usd(22, "5", 8, "0.5", 10, "30"));

        LlmCallEvent streamed = byId.get("chatcmpl-streamed");
        assertThat(streamed.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(streamed.getTags()).as("the caller's context, though the stream ended on another thread").containsEntry("team", "claims");
        assertThat(List.of(streamed.getInputTokens(), streamed.getOutputTokens())).containsExactly(30L, 10L);
        assertThat(streamed.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Hello"));
        // Spring AI aggregates streamed usage without OpenAI's details: cached tokens unknown, so all input at the full rate.
        assertThat(ShippedPrices.cost(streamed)).isEqualByComparingTo(Expected.usd(30, "5", 10, "30"));

        LlmCallEvent silent = byId.get("chatcmpl-silent");
        assertThat(silent.getInputTokens()).as("Spring AI's 0 / 0 is unknown, not free").isNull();
        assertThat(ShippedPrices.pricing(silent).priced()).isFalse();

        LlmCallEvent failed = events.stream().filter(e -> e.getStatus() == CallStatus.error).findFirst().orElseThrow();
        assertThat(failed.getRequestModel()).isEqualTo("no-such-model");
    }
}
