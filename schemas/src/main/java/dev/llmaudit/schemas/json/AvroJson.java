package dev.llmaudit.schemas.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.IndexedRecord;

/**
 * Any of our Avro records (violations, rollups, budget statuses, dead letters) as plain JSON for
 * people and scripts: field names as in the schema, decimals as exact strings ({@code "0.006000000000"}),
 * timestamps as ISO-8601, enums as their symbol, bytes as base64. Not the Avro JSON encoding (which
 * wraps unions and writes decimals as bytes).
 */
public final class AvroJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AvroJson() {}

    public static ObjectNode toJson(IndexedRecord record) {
        ObjectNode o = F.objectNode();
        for (Schema.Field f : record.getSchema().getFields()) {
            o.set(f.name(), value(record.get(f.pos())));
        }
        return o;
    }

    static JsonNode value(Object v) {
        if (v == null) {
            return F.nullNode();
        }
        if (v instanceof IndexedRecord r) {
            return toJson(r);
        }
        if (v instanceof BigDecimal d) {
            return F.textNode(d.toPlainString());
        }
        if (v instanceof Instant t) {
            return F.textNode(t.toString());
        }
        // Before the GenericContainer case: Avro's arrays are GenericContainers too (GenericData.Array), and their
        // toString would put an array of records (a rollup's x_SkuMeters) in one string with decimals as numbers.
        if (v instanceof Collection<?> c) {
            ArrayNode a = F.arrayNode();
            c.forEach(x -> a.add(value(x)));
            return a;
        }
        if (v instanceof CharSequence || v instanceof Enum<?> || v instanceof GenericContainer) {
            return F.textNode(v.toString());
        }
        if (v instanceof Boolean b) {
            return F.booleanNode(b);
        }
        if (v instanceof Integer i) {
            return F.numberNode(i);
        }
        if (v instanceof Long l) {
            return F.numberNode(l);
        }
        if (v instanceof Double d) {
            return F.numberNode(d);
        }
        if (v instanceof Float f) {
            return F.numberNode(f);
        }
        if (v instanceof ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            byte[] bytes = new byte[d.remaining()];
            d.get(bytes);
            return F.textNode(Base64.getEncoder().encodeToString(bytes));
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = F.objectNode();
            m.forEach((k, x) -> o.set(String.valueOf(k), value(x)));
            return o;
        }
        return F.textNode(v.toString());
    }
}
