package dev.llmaudit.enforcer;

import java.time.Duration;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;

/** The dedup store's definition and key encoding, for the bench in another package. */
public final class EnforcementTopologyAccess {
    public static final byte[] SEEN = EnforcementTopology.SEEN;

    private EnforcementTopologyAccess() {}

    public static StoreBuilder<WindowStore<Bytes, byte[]>> dedupStore(Duration horizon) {
        return EnforcementTopology.dedupStore(horizon);
    }

    public static Bytes key(String tenant, String eventId) {
        return DedupKeys.of(tenant, eventId);
    }
}
