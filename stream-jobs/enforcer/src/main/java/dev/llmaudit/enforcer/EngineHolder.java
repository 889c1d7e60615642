package dev.llmaudit.enforcer;

import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleArchive;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.Problems;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy bundle in force, swapped atomically when a new valid bundle arrives on
 * {@code llm.policies}. A bundle that fails to load for any reason (invalid, not an archive, a broken
 * entry name, an exception of any type) is refused: logged once, counted, and the last good one stays
 * in force. The thread that applies bundles never dies of a bad one.
 */
public final class EngineHolder {
    private static final Logger LOG = LoggerFactory.getLogger(EngineHolder.class);
    private final AtomicReference<PolicyEngine> current;
    private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();

    public EngineHolder(PolicyBundle initial) {
        this.current = new AtomicReference<>(new PolicyEngine(Objects.requireNonNull(initial, "initial bundle")));
    }

    public PolicyEngine engine() {
        return current.get();
    }

    /** Bundles refused since start (invalid or failing to load). */
    public long refused() {
        return refused.get();
    }

    /** Applies a bundle archive; returns the problems when it is refused. */
    public Optional<String> apply(String archive) {
        BundleLoader.Result r;
        PolicyEngine engine;
        try {
            r = BundleArchive.load(archive);
            engine = r.ok() ? new PolicyEngine(r.bundle()) : null;
        } catch (Throwable t) { // of any type: a bad bundle must never kill the thread that applies bundles
            refused.incrementAndGet();
            String why = "the bundle could not be loaded: " + t;
            LOG.error("Refusing policy bundle from the policies topic; bundle {} stays in force: {}", current.get().bundle().version(), why);
            LOG.debug("Stack trace", t);
            return Optional.of(why);
        }
        if (!r.ok()) {
            refused.incrementAndGet();
            String problems = r.problems().stream().map(Problems.Problem::toString).collect(Collectors.joining("; "));
            LOG.error("Refusing policy bundle from the policies topic ({} problems); bundle {} stays in force: {}",
                    r.problems().size(), current.get().bundle().version(), problems);
            return Optional.of(problems);
        }
        PolicyEngine previous = current.getAndSet(engine);
        if (!previous.bundle().version().equals(r.bundle().version())) {
            LOG.info("Policy bundle {} version {} is now in force (was {})", r.bundle().name(), r.bundle().version(),
                    previous.bundle().version());
        }
        return Optional.empty();
    }
}
