package dev.llmaudit.enforcer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DedupKeysTest {
    @Test
    void noTwoDifferentTenantAndIdPairsShareAKey() {
        String u = "3f2a1c4e-5b6d-4e8f-9a0b-1c2d3e4f5a6b";
        List<String[]> pairs = List.of(new String[] {"a", "b-c"}, new String[] {"ab", "-c"}, new String[] {"a", "bc"},
                new String[] {"acme", u}, new String[] {"acme", u.toUpperCase()}, new String[] {"acme", u.substring(0, 35) + "B"},
                new String[] {"acme", "x" + u.substring(1)}, new String[] {"acm", "e" + u}, new String[] {null, u}, new String[] {"", u},
                new String[] {"globex", u}, new String[] {"acme", "3F2A1C4E-5b6d-4e8f-9a0b-1c2d3e4f5a6b"});
        Set<org.apache.kafka.common.utils.Bytes> keys = new HashSet<>();
        for (String[] p : pairs) {
            keys.add(DedupKeys.of(p[0], p[1]));
        }
        // null and "" tenants are the same tenant (absent); every other pair has its own key.
        assertThat(keys).hasSize(pairs.size() - 1);
        assertThat(DedupKeys.of("acme", u)).isEqualTo(DedupKeys.of("acme", new String(u)));
    }

    @Test
    void aUuidIdTakesSixteenBytes() {
        assertThat(DedupKeys.of("acme-eu", UUID.randomUUID().toString()).get()).hasSize(2 + 7 + 1 + 16);
        assertThat(DedupKeys.uuid("3f2a1c4e-5b6d-4e8f-9a0b-1c2d3e4f5a6b")).isNotNull();
        assertThat(DedupKeys.uuid("3F2A1C4E-5B6D-4E8F-9A0B-1C2D3E4F5A6B")).isNotNull();
        assertThat(DedupKeys.uuid("3F2A1C4E-5b6d-4e8f-9a0b-1c2d3e4f5a6b")).as("mixed case is a plain id").isNull();
        assertThat(DedupKeys.uuid("3f2a1c4e-5b6d-4e8f-9a0b-1c2d3e4f5a6")).isNull();
        assertThat(DedupKeys.uuid("1-1-1-1-1")).isNull();
    }
}
