package dev.llmaudit.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** One JVM of the cluster, started from a class path or jar, its output in a log file; killed with SIGKILL on demand. */
final class JavaProcess implements AutoCloseable {
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    final String name;
    private final List<String> command;
    final Path log;
    private Process process;

    JavaProcess(String name, Path log, List<String> command) {
        this.name = name;
        this.log = log;
        this.command = List.copyOf(command);
    }

    /** A JVM with this heap, these system properties (as -D...), main class or -jar, and arguments. */
    static JavaProcess of(String name, Path logDir, String heap, List<String> jvmArgs, List<String> mainAndArgs) {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.llmaudit.avro"));
        cmd.addAll(jvmArgs);
        cmd.addAll(mainAndArgs);
        return new JavaProcess(name, logDir.resolve(name + ".log"), cmd);
    }

    JavaProcess start() {
        try {
            // Appended: a restarted process keeps its earlier output above the new one.
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, as a crash: no shutdown hook runs. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Waits until the log contains {@code text} (after {@code from} characters), failing with the log's tail. */
    void awaitLog(String text, int from, Duration timeout) {
        await(() -> output().indexOf(text, from) >= 0, timeout, "\"" + text + "\" in the log of " + name);
    }

    void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (!alive()) {
                throw new AssertionError(name + " exited (" + process.exitValue() + ") while waiting for " + what + "; log tail:\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; log tail of " + name + ":\n" + tail());
            }
            sleep(200);
        }
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            // a file being appended to may hold half a UTF-8 character at its end
            return "";
        }
    }

    String tail() {
        String all = output();
        return all.length() <= 4000 ? all : all.substring(all.length() - 4000);
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /**
     * A log4j2 configuration for one of the cluster's JVMs: warnings and errors to the console (its log file),
     * and these loggers at their own levels (the lines the test waits for, or noise to silence).
     */
    static Path writeLogConfig(Path file, Map<String, String> levels) throws IOException {
        List<String> lines = new ArrayList<>(List.of("rootLogger.level = WARN", "rootLogger.appenderRef.out.ref = out",
                "appender.out.type = Console", "appender.out.name = out", "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5level %c{1} - %msg%n"));
        int i = 0;
        for (Map.Entry<String, String> e : levels.entrySet()) {
            lines.add("logger.l" + i + ".name = " + e.getKey());
            lines.add("logger.l" + i++ + ".level = " + e.getValue());
        }
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
