package dev.llmaudit.ingest.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.azure.AzureOpenAIServiceVersion;
import com.openai.azure.AzureUrlPathMode;
import com.openai.azure.credential.AzureApiKeyCredential;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.Expected;
import dev.llmaudit.ingest.FakeHttpServer;
import dev.llmaudit.ingest.FakeHttpServer.Answer;
import dev.llmaudit.ingest.ShippedPrices;
import dev.llmaudit.ingest.TestEvents;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import dev.llmaudit.ingest.client.LlmAuditContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed OpenAI and Azure OpenAI calls through the official openai-java client against a local
 * fake that speaks server-sent events as OpenAI does (chunks paced in time, a usage chunk only when
 * asked for, a connection cut mid-stream); events land on a real broker and are priced with the
 * shipped catalog.
 */
@ExtendWith(KafkaClusterExtension.class)
public class OpenAiStreamingCaptureIT {
    static final long PAUSE_MS = 60;
    static final String KEY = "stream-test-key";

    static String chunk(String id, String delta, boolean first) {
        return "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1764165933,\"model\":\"gpt-5.5-2026-04-23\","
                + "\"choices\":[{\"index\":0,\"delta\":{" + (first ? "\"role\":\"assistant\"," : "") + "\"content\":\"" + delta
                + "\"},\"finish_reason\":null}]}";
    }

    static String finish(String id) {
        return "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1764165933,\"model\":\"gpt-5.5-2026-04-23\","
                + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}";
    }

    static String usage(String id) {
        return "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1764165933,\"model\":\"gpt-5.5-2026-04-23\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":10,\"total_tokens\":40,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":8},\"completion_tokens_details\":{\"reasoning_tokens\":4}}}";
    }

    /** As OpenAI answers a streamed chat completion: the usage chunk only when the request asked for it. */
    /**
     * A fake OpenAI for clients other than openai-java (the frameworks' own): model {@code no-such-model} is a 404,
     * {@code "stream": true} a paced event stream as {@link #chat}, anything else the completion of {@link OpenAiCaptureIT}.
     */
    public static Answer openAi(FakeHttpServer.Seen request) {
        if (request.json().path("model").asText().equals("no-such-model")) {
            return new Answer(404, Map.of(), "{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\","
                    + "\"code\":\"model_not_found\"}}");
        }
        return request.json().path("stream").asBoolean(false) ? chat(request) : new Answer(200, Map.of(), OpenAiCaptureIT.COMPLETION);
    }

    public static Answer chat(FakeHttpServer.Seen request) {
        var body = request.json();
        var messages = body.path("messages");
        String caseName = messages.path(messages.size() - 1).path("content").asText("");
        String id = "chatcmpl-" + caseName;
        boolean withUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        List<String> events = new ArrayList<>(List.of(chunk(id, "", true), chunk(id, "Hel", false), chunk(id, "lo", false), finish(id)));
        if (caseName.equals("cut")) {
            return Answer.sse(events.subList(0, 2), PAUSE_MS, true);
        }
        if (withUsage) {
            events.add(usage(id));
        }
        events.add("[DONE]");
        return Answer.sse(events, PAUSE_MS, false);
    }

    static Answer responses() {
        String created = "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_s1\",\"object\":\"response\","
                + "\"created_at\":1764165933,\"model\":\"gpt-5.5-2026-04-23\",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}";
        String d1 = "{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,"
                + "\"content_index\":0,\"delta\":\"Do\"}";
        String d2 = "{\"type\":\"response.output_text.delta\",\"sequence_number\":2,\"item_id\":\"msg_1\",\"output_index\":0,"
                + "\"content_index\":0,\"delta\":\"ne.\"}";
        String done = "{\"type\":\"response.completed\",\"sequence_number\":3,\"response\":{\"id\":\"resp_s1\",\"object\":\"response\","
                + "\"created_at\":1764165933,\"model\":\"gpt-5.5-2026-04-23\",\"status\":\"completed\",\"output\":[{\"type\":\"message\","
                + "\"id\":\"msg_1\",\"role\":\"assistant\",\"status\":\"completed\",\"content\":[{\"type\":\"output_text\",\"text\":\"Done.\","
                + "\"annotations\":[]}]}],\"usage\":{\"input_tokens\":40,\"input_tokens_details\":{\"cached_tokens\":16},"
                + "\"output_tokens\":12,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":52}}}";
        List<byte[]> parts = new ArrayList<>();
        for (String[] e : List.of(new String[] {"response.created", created}, new String[] {"response.output_text.delta", d1},
                new String[] {"response.output_text.delta", d2}, new String[] {"response.completed", done})) {
            parts.add(("event: " + e[0] + "\ndata: " + e[1] + "\n\n").getBytes(StandardCharsets.UTF_8));
        }
        return Answer.stream("text/event-stream", parts, PAUSE_MS, false);
    }

    static ChatCompletionCreateParams ask(String model, String caseName) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(caseName).build();
    }

    @Test
    void streamedCallsAreRecordedOnceWithUsageFirstTokenTimeAndCost(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                                  @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        int chunksSeenByApp;
        int chunksSeenWithAddedUsage;
        try (FakeHttpServer fake = new FakeHttpServer(req -> req.path().endsWith("/responses") ? responses() : chat(req));
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey(KEY.getBytes(StandardCharsets.UTF_8)).build(), new SimpleMeterRegistry())) {
            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").maxRetries(0)
                    .addInterceptor(OpenAiAuditInterceptor.openAi(audit, null)).build();

            // 1. The app asks for usage: tokens, first-token time and the response hash.
            try (LlmAuditContext ctx = LlmAuditContext.open().dataResidency("eu").tag("case", "asked");
                 StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(ask("gpt-5.5", "asked").toBuilder()
                         .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
                chunksSeenByApp = (int) s.stream().count();
            }
            // 2. The app does not ask: recorded, tokens unknown.
            try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(ask("gpt-5.5", "silent"))) {
                assertThat(s.stream().map(c -> c.choices().isEmpty() ? "" : c.choices().get(0).delta().content().orElse(""))
                        .collect(Collectors.joining())).isEqualTo("Hello");
            }
            // 3. The same with the capture's option: it asks for usage; the app receives one more chunk, without choices.
            OpenAIClient asking = OpenAIOkHttpClient.builder().baseUrl(fake.url() + "/v1").apiKey("sk-test").maxRetries(0)
                    .addInterceptor(OpenAiAuditInterceptor.openAi(audit, null).withStreamUsage()).build();
            try (StreamResponse<ChatCompletionChunk> s = asking.chat().completions().createStreaming(ask("gpt-5.5", "added"))) {
                List<ChatCompletionChunk> chunks = s.stream().toList();
                chunksSeenWithAddedUsage = chunks.size();
                assertThat(chunks.get(chunks.size() - 1).choices()).isEmpty();
            }
            // 4. The connection breaks mid-stream: the app gets an error, the call is still recorded.
            assertThatThrownBy(() -> {
                try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(ask("gpt-5.5", "cut"))) {
                    s.stream().forEach(c -> { });
                }
            }).isInstanceOf(RuntimeException.class);
            // 5. The app stops reading after the first text.
            try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(ask("gpt-5.5", "cancel"))) {
                Optional<ChatCompletionChunk> firstText = s.stream()
                        .filter(c -> !c.choices().isEmpty() && !c.choices().get(0).delta().content().orElse("").isEmpty()).findFirst();
                assertThat(firstText).isPresent();
            }
            // 6. The Responses API: usage in response.completed.
            try (StreamResponse<ResponseStreamEvent> s = openai.responses().createStreaming(ResponseCreateParams.builder()
                    .model("gpt-5.5").input("responses").build())) {
                assertThat(s.stream().filter(ResponseStreamEvent::isOutputTextDelta).map(e -> e.asOutputTextDelta().delta())
                        .collect(Collectors.joining())).isEqualTo("Done.");
            }
            // 7. Azure OpenAI, a data-zone deployment, with usage asked for.
            OpenAIClient azure = OpenAIOkHttpClient.builder().baseUrl(fake.url()).credential(AzureApiKeyCredential.create("azure-key"))
                    .azureServiceVersion(AzureOpenAIServiceVersion.fromString("2024-10-21")).azureUrlPathMode(AzureUrlPathMode.LEGACY)
                    .maxRetries(0).addInterceptor(OpenAiAuditInterceptor.azure(audit, "swedencentral", DeploymentScope.data_zone)).build();
            try (StreamResponse<ChatCompletionChunk> s = azure.chat().completions().createStreaming(ask("claims-gpt55", "azure").toBuilder()
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
                s.stream().forEach(c -> { });
            }

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 7 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(fake.seen().stream().filter(r -> r.body().contains("\"added\"")).findFirst().orElseThrow().body())
                    .as("the capture asked for usage").contains("\"stream_options\":{\"include_usage\":true}");
        }
        assertThat(chunksSeenByApp).as("role, Hel, lo, finish, usage").isEqualTo(5);
        assertThat(chunksSeenWithAddedUsage).isEqualTo(5);

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
        assertThat(events).as("one event per call, whatever ended it").hasSize(7);
        assertThat(events).allSatisfy(e -> assertThat(e.getStreaming()).isTrue());
        Map<String, LlmCallEvent> byId = events.stream().collect(Collectors.toMap(LlmCallEvent::getRequestId, e -> e));

        // Prices written here (USD per million tokens, catalog 2026-07-01): OpenAI gpt-5.5 input 5, cached 0.5, output 30;
        // Azure data zone EU gpt-5.5 input 5.5, cached 0.55, output 33.
        BigDecimal openAiCost = Expected.usd(22, "5", 8, "0.5", 10, "30");

        LlmCallEvent asked = byId.get("chatcmpl-asked");
        assertThat(asked.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(asked.getCloud()).isEqualTo(Cloud.openai);
        assertThat(asked.getOperation()).isEqualTo(Operation.chat);
        assertThat(asked.getResponseModel()).isEqualTo("gpt-5.5-2026-04-23");
        assertThat(List.of(asked.getInputTokens(), asked.getCachedInputTokens(), asked.getOutputTokens(), asked.getReasoningTokens()))
                .containsExactly(30L, 8L, 10L, 4L);
        assertThat(asked.getDataResidency()).as("the caller's context").isEqualTo("eu");
        assertThat(asked.getTags()).containsEntry("case", "asked");
        assertThat(asked.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Hello"));
        assertThat(asked.getPromptHash()).isEqualTo(Expected.hmacSha256(KEY, "asked"));
        // The first text arrives with the second chunk, two pauses after the request; the stream ends after six.
        assertThat(asked.getTimeToFirstTokenMs()).isBetween(2 * PAUSE_MS, asked.getLatencyMs());
        assertThat(asked.getLatencyMs()).isGreaterThanOrEqualTo(6 * PAUSE_MS);
        assertThat(ShippedPrices.cost(asked)).isEqualByComparingTo(openAiCost);

        LlmCallEvent silent = byId.get("chatcmpl-silent");
        assertThat(silent.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(silent.getInputTokens()).isNull();
        assertThat(silent.getOutputTokens()).isNull();
        assertThat(ShippedPrices.pricing(silent).priced()).as("unknown tokens are unpriced, never $0").isFalse();
        assertThat(silent.getTimeToFirstTokenMs()).isGreaterThanOrEqualTo(2 * PAUSE_MS);

        LlmCallEvent added = byId.get("chatcmpl-added");
        assertThat(ShippedPrices.cost(added)).isEqualByComparingTo(openAiCost);

        LlmCallEvent cut = byId.get("chatcmpl-cut");
        assertThat(cut.getStatus()).isEqualTo(CallStatus.error);
        assertThat(cut.getErrorType()).isNotBlank().isNotEqualTo("cancelled");
        assertThat(cut.getTimeToFirstTokenMs()).as("the first text did arrive").isNotNull();
        assertThat(cut.getInputTokens()).isNull();

        LlmCallEvent cancelled = byId.get("chatcmpl-cancel");
        assertThat(cancelled.getStatus()).isEqualTo(CallStatus.error);
        assertThat(cancelled.getErrorType()).isEqualTo("cancelled");
        assertThat(cancelled.getTimeToFirstTokenMs()).isNotNull();

        LlmCallEvent responses = byId.get("resp_s1");
        assertThat(responses.getOperation()).isEqualTo(Operation.responses);
        assertThat(responses.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(List.of(responses.getInputTokens(), responses.getCachedInputTokens(), responses.getOutputTokens()))
                .containsExactly(40L, 16L, 12L);
        assertThat(responses.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Done."));
        assertThat(responses.getTimeToFirstTokenMs()).isGreaterThanOrEqualTo(2 * PAUSE_MS);
        assertThat(ShippedPrices.cost(responses)).isEqualByComparingTo(Expected.usd(24, "5", 16, "0.5", 12, "30"));

        LlmCallEvent viaAzure = byId.get("chatcmpl-azure");
        assertThat(viaAzure.getCloud()).isEqualTo(Cloud.azure);
        assertThat(viaAzure.getRequestModel()).isEqualTo("claims-gpt55");
        assertThat(viaAzure.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(ShippedPrices.cost(viaAzure)).isEqualByComparingTo(Expected.usd(22, "5.5", 8, "0.55", 10, "33"));
    }

}
