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
 * {@code llm.policies}. An invalid bundle is refused with an error logged; the last good one stays.
 */
public final class EngineHolder {
    private static final Logger LOG = LoggerFactory.getLogger(EngineHolder.class);
    private final AtomicReference<PolicyEngine> current;

    public EngineHolder(PolicyBundle initial) {
        this.current = new AtomicReference<>(new PolicyEngine(Objects.requireNonNull(initial, "initial bundle")));
    }

    public PolicyEngine engine() {
        return current.get();
    }

    /** Applies a bundle archive; returns the problems when it is refused. */
    public Optional<String> apply(String archive) {
        BundleLoader.Result r = BundleArchive.load(archive);
        if (!r.ok()) {
            String problems = r.problems().stream().map(Problems.Problem::toString).collect(Collectors.joining("; "));
            LOG.error("Refusing policy bundle from the policies topic ({} problems); bundle {} stays in force: {}",
                    r.problems().size(), current.get().bundle().version(), problems);
            return Optional.of(problems);
        }
        PolicyEngine previous = current.getAndSet(new PolicyEngine(r.bundle()));
        if (!previous.bundle().version().equals(r.bundle().version())) {
            LOG.info("Policy bundle {} version {} is now in force (was {})", r.bundle().name(), r.bundle().version(),
                    previous.bundle().version());
        }
        return Optional.empty();
    }
}
