package dev.llmaudit.ingest.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeAsyncClient;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseStreamOutput;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseStreamRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseStreamResponseHandler;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelWithResponseStreamRequest;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelWithResponseStreamResponseHandler;

/**
 * The real AWS SDK async Bedrock client (Netty) against a local fake that answers with AWS
 * event-stream frames paced in time, as Bedrock does; events land on a real broker and are priced
 * with the shipped catalog.
 */
@ExtendWith(KafkaClusterExtension.class)
class BedrockStreamingCaptureIT {
    static final long PAUSE_MS = 60;
    static final String KEY = "bedrock-stream-key";
    static final String EVENT_STREAM = "application/vnd.amazon.eventstream";

    static byte[] event(String type, String json) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":event-type", HeaderValue.fromString(type));
        headers.put(":content-type", HeaderValue.fromString("application/json"));
        headers.put(":message-type", HeaderValue.fromString("event"));
        return frame(headers, json);
    }

    static byte[] exception(String type, String message) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":exception-type", HeaderValue.fromString(type));
        headers.put(":content-type", HeaderValue.fromString("application/json"));
        headers.put(":message-type", HeaderValue.fromString("exception"));
        return frame(headers, "{\"message\":\"" + message + "\"}");
    }

    static byte[] frame(Map<String, HeaderValue> headers, String json) {
        var buffer = new Message(headers, json.getBytes(StandardCharsets.UTF_8)).toByteBuffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** A model chunk of InvokeModelWithResponseStream: the model's own JSON, base64 in {@code bytes}. */
    static byte[] chunk(String modelJson) {
        return event("chunk", "{\"bytes\":\"" + Base64.getEncoder().encodeToString(modelJson.getBytes(StandardCharsets.UTF_8)) + "\"}");
    }

    /** The model's JSON inside a chunk frame, as the SDK hands it to the app. */
    static String modelJson(byte[] frame) {
        Message m = Message.decode(java.nio.ByteBuffer.wrap(frame));
        String payload = new String(m.getPayload(), StandardCharsets.UTF_8);
        String b64 = payload.replaceAll(".*\"bytes\":\"([^\"]+)\".*", "$1");
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    static List<byte[]> converse(boolean throttledMidway) {
        List<byte[]> events = new ArrayList<>(List.of(
                event("messageStart", "{\"role\":\"assistant\",\"p\":\"abcdef\"}"),
                event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Your claim\"},\"p\":\"ab\"}")));
        if (throttledMidway) {
            events.add(exception("throttlingException", "Too many tokens, please wait before trying again."));
            return events;
        }
        events.addAll(List.of(
                event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" is covered.\"}}"),
                event("contentBlockStop", "{\"contentBlockIndex\":0}"),
                event("messageStop", "{\"stopReason\":\"end_turn\"}"),
                event("metadata", "{\"usage\":{\"inputTokens\":200,\"outputTokens\":50,\"totalTokens\":1250,\"cacheReadInputTokens\":1000},"
                        + "\"metrics\":{\"latencyMs\":640}}")));
        return events;
    }

    static List<byte[]> invokeAnthropic() {
        return List.of(
                chunk("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_bdrk_1\",\"type\":\"message\",\"role\":\"assistant\","
                        + "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"usage\":{\"input_tokens\":100,\"output_tokens\":1}}}"),
                chunk("{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
                chunk("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Covered.\"}}"),
                chunk("{\"type\":\"content_block_stop\",\"index\":0}"),
                chunk("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":20}}"),
                chunk("{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":100,\"outputTokenCount\":20,"
                        + "\"invocationLatency\":900,\"firstByteLatency\":300}}"));
    }

    static Answer answer(FakeHttpServer.Seen req) {
        String rid = Map.of("hello", "conv-ok", "throttle", "conv-throttled", "cut", "conv-cut", "cancel", "conv-cancel")
                .getOrDefault(req.body().replaceAll("(?s).*\"text\":\"([a-z]+)\".*", "$1"), "invoke-ok");
        if (req.path().contains("/model/nope/")) {
            return new Answer(400, Map.of("x-amzn-ErrorType", "ValidationException:http://internal", "x-amzn-RequestId", "conv-refused"),
                    "{\"message\":\"The provided model identifier is invalid.\"}");
        }
        Answer a = req.path().endsWith("/invoke-with-response-stream")
                ? Answer.stream(EVENT_STREAM, invokeAnthropic(), PAUSE_MS, false)
                : Answer.stream(EVENT_STREAM, rid.equals("conv-cut") ? converse(false).subList(0, 2) : converse(rid.equals("conv-throttled")),
                        PAUSE_MS, rid.equals("conv-cut"));
        Map<String, String> headers = new LinkedHashMap<>(a.headers());
        headers.put("x-amzn-RequestId", rid);
        return new Answer(a.status(), headers, null, a.parts(), a.pauseMillis(), a.cutOff());
    }

    static ConverseStreamRequest ask(String model, String text) {
        return ConverseStreamRequest.builder().modelId(model)
                .messages(software.amazon.awssdk.services.bedrockruntime.model.Message.builder().role(ConversationRole.USER)
                        .content(ContentBlock.fromText(text)).build()).build();
    }

    /** Runs one ConverseStream call to its end (or failure) and returns the text the app received. */
    static String converse(BedrockRuntimeAsyncClient client, ConverseStreamRequest request) throws Exception {
        StringBuilder text = new StringBuilder();
        CompletableFuture<Void> done = client.converseStream(request, ConverseStreamResponseHandler.builder()
                .subscriber(ConverseStreamResponseHandler.Visitor.builder().onContentBlockDelta(d -> text.append(d.delta().text())).build())
                .build());
        done.get(30, TimeUnit.SECONDS);
        return text.toString();
    }

    @Test
    void streamsAreRecordedOnceWithUsageFirstTokenTimeAndCost(KafkaCluster cluster, EmbeddedSchemaRegistry registry,
                                                            @TempDir Path spool) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        String invokeText;
        try (FakeHttpServer bedrock = new FakeHttpServer(BedrockStreamingCaptureIT::answer);
             LlmAuditClient audit = LlmAuditClient.create(ClientConfig.builder().bootstrapServers(cluster.bootstrapServers())
                     .schemaRegistryUrl(registry.url()).topic(topic).spoolDir(spool).hmacKey(KEY.getBytes(StandardCharsets.UTF_8)).build(),
                     new SimpleMeterRegistry());
             BedrockRuntimeAsyncClient eu = client(bedrock, Region.EU_CENTRAL_1, audit);
             BedrockRuntimeAsyncClient us = client(bedrock, Region.US_EAST_1, audit)) {
            String model = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
            try (LlmAuditContext ctx = LlmAuditContext.open().dataClassification("pii").dataResidency("eu")) {
                assertThat(converse(eu, ask(model, "hello"))).isEqualTo("Your claim is covered.");
            }
            // A throttling exception in the middle of the stream: the app's call fails, the call is recorded once.
            assertThatThrownBy(() -> converse(eu, ask(model, "throttle"))).hasStackTraceContaining("Too many tokens");
            // The connection is cut after the first text: the SDK ends the stream as if it were complete; the audit does not.
            assertThat(converse(eu, ask(model, "cut"))).isEqualTo("Your claim");
            // Refused before any stream: a 400.
            assertThatThrownBy(() -> converse(eu, ask("nope", "refused"))).hasStackTraceContaining("model identifier is invalid");
            // The app stops after the first event.
            CompletableFuture<Void> cancelled = eu.converseStream(ask(model, "cancel"), ConverseStreamResponseHandler.builder()
                    .onEventStream(events -> events.subscribe(new Subscriber<ConverseStreamOutput>() {
                        Subscription subscription;

                        @Override
                        public void onSubscribe(Subscription s) {
                            subscription = s;
                            s.request(1);
                        }

                        @Override
                        public void onNext(ConverseStreamOutput item) {
                            subscription.cancel();
                        }

                        @Override
                        public void onError(Throwable t) { }

                        @Override
                        public void onComplete() { }
                    })).build());
            try {
                cancelled.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // how the SDK ends a cancelled stream is its own business; the audit event is what is checked
            }
            // InvokeModelWithResponseStream, the Anthropic messages format inside the chunks.
            StringBuilder t = new StringBuilder();
            us.invokeModelWithResponseStream(InvokeModelWithResponseStreamRequest.builder().modelId("anthropic.claude-sonnet-4-5-20250929-v1:0")
                            .body(SdkBytes.fromUtf8String("{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":50,"
                                    + "\"messages\":[{\"role\":\"user\",\"content\":\"invoke\"}]}")).build(),
                    InvokeModelWithResponseStreamResponseHandler.builder().subscriber(InvokeModelWithResponseStreamResponseHandler.Visitor
                            .builder().onChunk(c -> t.append(c.bytes().asUtf8String()).append('\n')).build()).build()).get(30, TimeUnit.SECONDS);
            invokeText = t.toString();

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (audit.stats().sent() < 6 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        assertThat(invokeText.lines().toList()).as("the app received every chunk, unchanged, in order").containsExactly(
                invokeAnthropic().stream().map(BedrockStreamingCaptureIT::modelJson).toArray(String[]::new));

        List<LlmCallEvent> events = TestEvents.readToEnd(cluster, registry.url(), topic).stream().map(ConsumerRecord::value).toList();
        assertThat(events).as("one event per call, whatever ended it").hasSize(6);
        Map<String, LlmCallEvent> byId = events.stream().collect(Collectors.toMap(LlmCallEvent::getRequestId, e -> e));

        LlmCallEvent ok = byId.get("conv-ok");
        assertThat(ok.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(ok.getStreaming()).isTrue();
        assertThat(ok.getCloud()).isEqualTo(Cloud.aws);
        assertThat(ok.getRegion()).isEqualTo("eu-central-1");
        assertThat(ok.getDeploymentScope()).isEqualTo(DeploymentScope.data_zone);
        assertThat(ok.getOperation()).isEqualTo(Operation.chat);
        assertThat(List.of(ok.getInputTokens(), ok.getCachedInputTokens(), ok.getOutputTokens())).containsExactly(1200L, 1000L, 50L);
        assertThat(ok.getDataClassification()).as("the caller's context, though the stream ends on another thread").isEqualTo("pii");
        assertThat(ok.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Your claim is covered."));
        assertThat(ok.getPromptHash()).isEqualTo(Expected.hmacSha256(KEY, "hello"));
        assertThat(ok.getTimeToFirstTokenMs()).isBetween(2 * PAUSE_MS, ok.getLatencyMs());
        assertThat(ok.getLatencyMs()).isGreaterThanOrEqualTo(6 * PAUSE_MS);
        // Bedrock EU data zone Claude Sonnet 4.5 (catalog 2026-07-01): input 3.3, cache read 0.33, output 16.5 USD per million.
        assertThat(ShippedPrices.cost(ok)).isEqualByComparingTo(Expected.usd(200, "3.3", 1000, "0.33", 50, "16.5"));

        LlmCallEvent throttled = byId.get("conv-throttled");
        assertThat(throttled.getStatus()).isEqualTo(CallStatus.error);
        assertThat(throttled.getErrorType()).isEqualToIgnoringCase("throttlingException");
        assertThat(throttled.getTimeToFirstTokenMs()).isNotNull();

        LlmCallEvent cut = byId.get("conv-cut");
        assertThat(cut.getStatus()).isEqualTo(CallStatus.error);
        assertThat(cut.getErrorType()).isEqualTo("incomplete_stream");
        assertThat(cut.getInputTokens()).isNull();

        LlmCallEvent refused = byId.get("conv-refused");
        assertThat(refused.getStatus()).isEqualTo(CallStatus.error);
        assertThat(refused.getErrorType()).isEqualTo("ValidationException");
        assertThat(refused.getHttpStatus()).isEqualTo(400);
        assertThat(refused.getTimeToFirstTokenMs()).isNull();

        LlmCallEvent cancel = byId.get("conv-cancel");
        assertThat(cancel.getStatus()).isEqualTo(CallStatus.error);
        assertThat(cancel.getErrorType()).isEqualTo("cancelled");

        LlmCallEvent invoke = byId.get("invoke-ok");
        assertThat(invoke.getStatus()).isEqualTo(CallStatus.ok);
        assertThat(invoke.getRegion()).isEqualTo("us-east-1");
        assertThat(invoke.getDeploymentScope()).isEqualTo(DeploymentScope.regional);
        assertThat(List.of(invoke.getInputTokens(), invoke.getOutputTokens())).containsExactly(100L, 20L);
        assertThat(invoke.getResponseHash()).isEqualTo(Expected.hmacSha256(KEY, "Covered."));
        assertThat(invoke.getTimeToFirstTokenMs()).isBetween(3 * PAUSE_MS, invoke.getLatencyMs());
        // In-region Claude Sonnet 4.5 is derived: global 3 / 15 x 1.10 (scope rule bedrock-claude-4.5-and-later).
        assertThat(ShippedPrices.cost(invoke)).isEqualByComparingTo(Expected.usd(100, "3.3", 20, "16.5"));
    }

    static BedrockRuntimeAsyncClient client(FakeHttpServer fake, Region region, LlmAuditClient audit) {
        return BedrockRuntimeAsyncClient.builder().region(region).endpointOverride(URI.create(fake.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(software.amazon.awssdk.http.Protocol.HTTP1_1)) // the JDK fake speaks HTTP/1.1 only
                .overrideConfiguration(c -> c.addExecutionInterceptor(new BedrockAuditInterceptor(audit))
                        .retryStrategy(software.amazon.awssdk.core.retry.RetryMode.STANDARD).retryStrategy(b -> b.maxAttempts(1)))
                .build();
    }

}
