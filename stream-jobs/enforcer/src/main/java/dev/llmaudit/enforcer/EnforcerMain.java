package dev.llmaudit.enforcer;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code java dev.llmaudit.enforcer.EnforcerMain [CONFIG_FILE]}: what {@code llm-audit enforcer run} does, without the CLI. */
public final class EnforcerMain {
    private EnforcerMain() {}

    public static void main(String[] args) throws Exception {
        EnforcerConfig config = EnforcerConfig.load(args.length > 0 ? Path.of(args[0]) : null, System.getenv());
        CountDownLatch stop = new CountDownLatch(1);
        try (Enforcer enforcer = Enforcer.start(config)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
    }
}
