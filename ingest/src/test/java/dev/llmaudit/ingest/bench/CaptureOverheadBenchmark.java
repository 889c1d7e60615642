package dev.llmaudit.ingest.bench;

import dev.llmaudit.embedded.kafka.EmbeddedKafkaBroker;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.ingest.client.ClientConfig;
import dev.llmaudit.ingest.client.LlmAuditClient;
import dev.llmaudit.ingest.openai.OpenAiAuditInterceptor;
import dev.llmaudit.ingest.openai.OpenAiCaptureIT;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the OpenAI capture adds to a call, measured against the same OkHttp call without it. The
 * provider is a last interceptor answering from memory (no network, so the difference is the
 * capture's own work: reading the request, peeking or tapping the answer, building and recording
 * the event on a real in-JVM broker's client). Two shapes:
 * <ul>
 *   <li>{@code call}: a chat completion answered in JSON;
 *   <li>{@code stream}: a streamed chat completion of {@value #CHUNKS} chunks (about 150 bytes each,
 *       read by the app as OkHttp hands them over), with the usage chunk at the end.
 * </ul>
 * {@code hashing} = with an HMAC key (the response text is kept and hashed) or without. Per-chunk
 * cost = (stream with capture - stream without) / {@value #CHUNKS}. Run:
 * {@code ./mvnw -B -Pbench -DskipTests -pl ingest verify} (execution {@code capture-jmh}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class CaptureOverheadBenchmark {
    static final int CHUNKS = 500;

    @Param({"false", "true"})
    public boolean hashing;

    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private LlmAuditClient audit;
    private OkHttpClient plain;
    private OkHttpClient captured;
    private byte[] stream;
    private final Request chat = request(false);
    private final Request streamed = request(true);

    static Request request(boolean stream) {
        String body = "{\"model\":\"gpt-5.5\",\"stream\":" + stream + ",\"stream_options\":{\"include_usage\":" + stream + "},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the claim in two sentences.\"}]}";
        return new Request.Builder().url("https://api.openai.com/v1/chat/completions").header("X-Bench-Stream", String.valueOf(stream))
                .post(RequestBody.create(body, MediaType.get("application/json"))).build();
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        broker = EmbeddedKafkaBroker.startTemporary();
        broker.createTopic("llm.events", 3, Map.of());
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers());
        ClientConfig.Builder config = ClientConfig.builder().bootstrapServers(broker.bootstrapServers()).schemaRegistryUrl(registry.url())
                .spoolDir(Files.createTempDirectory("bench-spool"));
        if (hashing) {
            config.hmacKey("bench-key".getBytes(StandardCharsets.UTF_8));
        }
        audit = LlmAuditClient.create(config.build(), new SimpleMeterRegistry());
        StringBuilder sse = new StringBuilder();
        for (int i = 0; i < CHUNKS - 1; i++) {
            sse.append("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1764165933,\"model\":\"gpt-5.5-2026-04-23\",")
                    .append("\"choices\":[{\"index\":0,\"delta\":{\"content\":\" word").append(i).append("\"},\"finish_reason\":null}],")
                    .append("\"usage\":null}\n\n");
        }
        sse.append("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1764165933,\"model\":\"gpt-5.5-2026-04-23\",")
                .append("\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":499,\"total_tokens\":529}}\n\ndata: [DONE]\n\n");
        stream = sse.toString().getBytes(StandardCharsets.UTF_8);
        plain = new OkHttpClient.Builder().addInterceptor(chain -> answer(chain.request())).build();
        captured = new OkHttpClient.Builder().addInterceptor(OpenAiAuditInterceptor.openAi(audit, null))
                .addInterceptor(chain -> answer(chain.request())).build();
    }

    private Response answer(Request request) {
        boolean sse = "true".equals(request.header("X-Bench-Stream"));
        ResponseBody body = sse ? ResponseBody.create(new Buffer().write(stream), MediaType.get("text/event-stream"), stream.length)
                : ResponseBody.create(OpenAiCaptureIT.COMPLETION, MediaType.get("application/json"));
        return new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(200).message("OK").body(body).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        audit.close();
        registry.close();
        broker.close();
    }

    @Benchmark
    public long callWithoutCapture() throws IOException {
        return read(plain, chat);
    }

    @Benchmark
    public long callWithCapture() throws IOException {
        return read(captured, chat);
    }

    @Benchmark
    public long streamWithoutCapture() throws IOException {
        return read(plain, streamed);
    }

    @Benchmark
    public long streamWithCapture() throws IOException {
        return read(captured, streamed);
    }

    /** Reads the answer as an SDK does: line by line for a stream, whole for JSON. */
    private static long read(OkHttpClient client, Request request) throws IOException {
        long n = 0;
        try (Response r = client.newCall(request).execute()) {
            BufferedSource source = r.body().source();
            String line;
            while ((line = source.readUtf8Line()) != null) {
                n += line.length();
            }
        }
        return n;
    }
}
