package dev.llmaudit.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Flink standalone session cluster as separate JVMs: one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and two TaskManagers ({@code TaskManagerRunner}) of one slot
 * each, checkpoints in a directory. The class path is a Flink distribution's: Flink's artifacts and their
 * dependencies, without llm-audit, Kafka or Avro, which the submitted job jar must bring itself. Jobs are
 * submitted as {@code flink run} does, through the REST API: upload the jar, then run it.
 */
final class FlinkSession implements AutoCloseable {
    /** The options Flink's own config.yaml passes to every JVM on Java 17. */
    static final List<String> JAVA17_OPTIONS = List.of("--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED", "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final Path checkpoints;
    final int restPort = KafkaTrio.freePort();
    final JavaProcess jobManager;
    final JavaProcess[] taskManagers = new JavaProcess[2];
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    FlinkSession(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.checkpoints = Files.createDirectories(dir.resolve("checkpoints"));
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("config.yaml"), String.join("\n",
                "jobmanager.rpc.address: localhost",
                "jobmanager.rpc.port: " + KafkaTrio.freePort(),
                "jobmanager.bind-host: localhost",
                "rest.address: localhost",
                "rest.bind-address: localhost",
                "rest.port: " + restPort,
                "taskmanager.host: localhost",
                "taskmanager.bind-host: localhost",
                "taskmanager.numberOfTaskSlots: 1",
                "parallelism.default: 2",
                "jobmanager.memory.process.size: 900m",
                "taskmanager.memory.process.size: 1100m",
                "taskmanager.memory.managed.size: 32m",
                "taskmanager.memory.network.min: 32m",
                "taskmanager.memory.network.max: 32m",
                "execution.checkpointing.dir: " + checkpoints.toUri(),
                "execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION",
                "restart-strategy.type: fixed-delay",
                "restart-strategy.fixed-delay.attempts: 1000",
                "restart-strategy.fixed-delay.delay: 2 s",
                // A killed TaskManager is noticed within seconds, not the default 50.
                "heartbeat.interval: 2000",
                "heartbeat.timeout: 10000",
                "web.upload.dir: " + Files.createDirectories(dir.resolve("uploads")),
                "blob.server.port: 0",
                "taskmanager.rpc.port: 0",
                "taskmanager.data.port: 0",
                "metrics.reporters: ''",
                ""));
        Map<String, String> levels = new LinkedHashMap<>();
        levels.put("org.apache.flink.runtime.entrypoint", "INFO");
        levels.put("org.apache.flink.runtime.rest.RestServerEndpoint", "INFO");
        levels.put("org.apache.flink.runtime.taskexecutor.TaskExecutor", "INFO");
        // Flink's committers register a metric twice on every checkpoint and warn each time.
        levels.put("org.apache.flink.metrics.MetricGroup", "ERROR");
        levels.put("dev.llmaudit", "INFO");
        JavaProcess.writeLogConfig(conf.resolve("log4j2.properties"), levels);
        jvm = new ArrayList<>(JAVA17_OPTIONS);
        jvm.add("-Dlog4j2.configurationFile=" + conf.resolve("log4j2.properties"));
        this.conf = conf;
        this.classPath = distributionClassPath();
        jobManager = JavaProcess.of("flink-jobmanager", dir, "512m", jvm,
                List.of("-cp", classPath, "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "--configDir", conf.toString()));
        taskManagerResources = resourceParameters(classPath, conf);
        for (int i = 0; i < 2; i++) {
            taskManagers[i] = taskManager(++taskManagerCount);
        }
    }

    /** JVM options and dynamic settings of a TaskManager, as Flink's taskmanager.sh gets them: from BashJavaUtils. */
    private final List<List<String>> taskManagerResources;

    static List<List<String>> resourceParameters(String classPath, Path conf) throws IOException {
        Process p = new ProcessBuilder(JavaProcess.JAVA, "-Xmx128m", "-cp", classPath, "org.apache.flink.runtime.util.bash.BashJavaUtils",
                "GET_TM_RESOURCE_PARAMS", "--configDir", conf.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<List<String>> results = out.lines().filter(l -> l.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:"))
                .map(l -> List.of(l.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()).trim().split("\\s+"))).toList();
        if (results.size() != 2) {
            throw new IllegalStateException("BashJavaUtils GET_TM_RESOURCE_PARAMS printed no JVM and dynamic parameters:\n" + out);
        }
        return results;
    }

    private final List<String> jvm;
    private final Path conf;
    private final String classPath;
    private int taskManagerCount;

    private JavaProcess taskManager(int n) {
        List<String> jvmArgs = new ArrayList<>(jvm);
        jvmArgs.addAll(taskManagerResources.get(0));
        List<String> main = new ArrayList<>(List.of("-cp", classPath, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir",
                conf.toString()));
        main.addAll(taskManagerResources.get(1));
        main.addAll(List.of("-D", "taskmanager.resource-id=tm-" + n));
        return JavaProcess.of("flink-taskmanager-" + n, dir, "700m", jvmArgs, main);
    }

    /** Kills TaskManager {@code i} with SIGKILL and starts a new one (a new resource id) in its place. */
    void replaceTaskManager(int i) throws InterruptedException {
        taskManagers[i].kill9();
        taskManagers[i] = taskManager(++taskManagerCount).start();
    }

    /**
     * This JVM's class path without llm-audit's own modules, Kafka, Avro, the Kafka connector, flink-avro and
     * the sketch library: what a Flink distribution's lib/ does not have, so the job jar must carry it.
     */
    static String distributionClassPath() {
        List<String> notInFlink = List.of("/dev/llmaudit/", "/target/", "/org/apache/kafka/", "/org/apache/avro/", "/flink-connector-kafka/",
                "/flink-avro/", "/org/apache/datasketches/", "/dev/cel/", "/io/micrometer/", "/info/picocli/", "/org/eclipse/jetty/",
                "/software/amazon/", "/com/openai/", "/org/rocksdb/", "/org/bouncycastle/", "/org/junit/", "/org/assertj/");
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> notInFlink.stream().noneMatch(e::contains))
                .collect(Collectors.joining(File.pathSeparator));
    }

    FlinkSession start() {
        jobManager.start();
        for (JavaProcess tm : taskManagers) {
            tm.start();
        }
        jobManager.await(() -> registeredTaskManagers() == 2, Duration.ofSeconds(120), "two TaskManagers registered");
        return this;
    }

    int registeredTaskManagers() {
        try {
            return get("/taskmanagers").path("taskmanagers").size();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Uploads the jar (POST /jars/upload) and runs it (POST /jars/:id/run); the job id. */
    String submit(Path jar, String entryClass, List<String> args) throws IOException, InterruptedException {
        String boundary = "llm-audit-" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(uri("/jars/upload")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        if (up.statusCode() != 200) {
            throw new IllegalStateException("jar upload answered " + up.statusCode() + ": " + up.body());
        }
        String uploaded = JSON.readTree(up.body()).path("filename").asText();
        String jarId = Path.of(uploaded).getFileName().toString();
        String run = JSON.writeValueAsString(java.util.Map.of("entryClass", entryClass, "programArgsList", args));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/jars/" + jarId + "/run")).timeout(Duration.ofSeconds(180))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(run)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("jar run answered " + r.statusCode() + ": " + r.body() + "\njobmanager log:\n" + jobManager.tail());
        }
        return JSON.readTree(r.body()).path("jobid").asText();
    }

    String state(String jobId) {
        try {
            return get("/jobs/" + jobId).path("state").asText();
        } catch (IOException | RuntimeException e) {
            return "UNREACHABLE";
        }
    }

    /** True when every vertex of the job is RUNNING (a job can be RUNNING while its tasks still wait for slots). */
    boolean allTasksRunning(String jobId) {
        try {
            JsonNode job = get("/jobs/" + jobId);
            if (!"RUNNING".equals(job.path("state").asText())) {
                return false;
            }
            for (JsonNode v : job.path("vertices")) {
                if (!"RUNNING".equals(v.path("status").asText())) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Each vertex's lowest input watermark (GET /jobs/:id/vertices/:vid/watermarks), for diagnostics. */
    String watermarks(String jobId) {
        try {
            List<String> out = new ArrayList<>();
            for (JsonNode v : get("/jobs/" + jobId).path("vertices")) {
                long min = Long.MAX_VALUE;
                for (JsonNode w : get("/jobs/" + jobId + "/vertices/" + v.path("id").asText() + "/watermarks")) {
                    min = Math.min(min, w.path("value").asLong(Long.MAX_VALUE));
                }
                out.add(v.path("name").asText() + ": " + (min == Long.MAX_VALUE || min < 0 ? "none" : java.time.Instant.ofEpochMilli(min)));
            }
            return out.toString();
        } catch (IOException | RuntimeException e) {
            return "unavailable (" + e + ")";
        }
    }

    JsonNode checkpoints(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/checkpoints");
    }

    JsonNode get(String path) throws IOException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException(path + " answered " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + restPort + path);
    }

    @Override
    public void close() {
        for (JavaProcess tm : taskManagers) {
            tm.close();
        }
        jobManager.close();
    }
}
