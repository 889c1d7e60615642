package dev.llmaudit.enforcer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.common.utils.Bytes;

/**
 * Compact keys for the deduplication store: tenant and event id, no two different pairs alike. The
 * store holds one entry per event for the whole horizon, so its size is events/s x horizon x bytes per
 * entry: an event id in the canonical UUID form (what the llm-audit client and most SDKs generate)
 * takes 16 bytes instead of 36 characters.
 *
 * <pre>
 * [tenant length, 2 bytes (the contract bounds it far below)][tenant, UTF-8][1][16 bytes]   a lower-case UUID
 * [tenant length][tenant, UTF-8][2][16 bytes]                                               an upper-case UUID
 * [tenant length][tenant, UTF-8][0][event id, UTF-8]                                        any other id
 * </pre>
 */
final class DedupKeys {
    private DedupKeys() {}

    static Bytes of(String tenant, String eventId) {
        byte[] t = tenant == null ? new byte[0] : tenant.getBytes(StandardCharsets.UTF_8);
        UUID uuid = uuid(eventId);
        if (uuid != null) {
            byte form = eventId.equals(uuid.toString()) ? (byte) 1 : (byte) 2;
            return Bytes.wrap(ByteBuffer.allocate(3 + t.length + 16).putShort((short) t.length).put(t).put(form)
                    .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array());
        }
        byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(3 + t.length + id.length).putShort((short) t.length).put(t).put((byte) 0).put(id).array());
    }

    /**
     * The UUID an id spells in the canonical form, all lower-case or all upper-case (the form byte keeps
     * the two apart: they are different ids), else null.
     */
    static UUID uuid(String id) {
        if (id.length() != 36 || id.charAt(8) != '-' || id.charAt(13) != '-' || id.charAt(18) != '-' || id.charAt(23) != '-') {
            return null;
        }
        try {
            UUID u = UUID.fromString(id);
            String lower = u.toString();
            return id.equals(lower) || id.equals(lower.toUpperCase(java.util.Locale.ROOT)) ? u : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
