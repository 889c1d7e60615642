package dev.llmaudit.enforcer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * JSON encodings of the enforcer's internal budget data: contributions on the internal
 * repartition topic (keyed by budget instance and period) and the per-budget state in the
 * changelogged store. Exact decimals travel as strings.
 */
final class BudgetCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BudgetCodec() {}

    /** The state of one budget instance in one period, with what the status record needs. */
    record Budget(BudgetContribution last, BudgetLedger.State state) {}

    static Serde<BudgetContribution> contributions() {
        return Serdes.serdeFrom(serializer(BudgetCodec::write), deserializer(BudgetCodec::readContribution));
    }

    static Serde<Budget> budgets() {
        return Serdes.serdeFrom(serializer(b -> {
            ObjectNode o = write(b.last());
            o.put("spent", b.state().spent().toPlainString());
            o.put("unpriced_calls", b.state().unpricedCalls());
            if (b.state().lastThreshold() != null) {
                o.put("last_threshold", b.state().lastThreshold());
            }
            return o;
        }), deserializer(n -> new Budget(readContribution(n), new BudgetLedger.State(new BigDecimal(n.get("spent").asText()),
                n.get("unpriced_calls").asLong(), n.has("last_threshold") ? n.get("last_threshold").asInt() : null))));
    }

    static ObjectNode write(BudgetContribution c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("budget_id", c.budgetId());
        o.put("budget_key", c.budgetKey());
        ObjectNode scope = o.putObject("scope");
        c.scope().forEach(scope::put);
        o.put("period", c.period().id());
        o.put("period_label", c.periodLabel());
        o.put("time_zone", c.timeZone());
        o.put("period_start", c.periodStart().toString());
        o.put("period_end", c.periodEnd().toString());
        o.put("amount", c.amount().toPlainString());
        o.put("currency", c.currency());
        o.put("limit", c.limit().toPlainString());
        ArrayNode t = o.putArray("thresholds");
        c.thresholds().forEach(t::add);
        o.put("unpriced", c.unpriced());
        o.put("event_id", c.eventId());
        return o;
    }

    static BudgetContribution readContribution(JsonNode n) {
        Map<String, String> scope = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.get("scope").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            scope.put(e.getKey(), e.getValue().asText());
        }
        List<Integer> thresholds = new ArrayList<>();
        n.get("thresholds").forEach(t -> thresholds.add(t.asInt()));
        return new BudgetContribution(n.get("budget_id").asText(), n.get("budget_key").asText(), scope,
                BudgetPeriod.parse(n.get("period").asText()), n.get("period_label").asText(), n.get("time_zone").asText(),
                Instant.parse(n.get("period_start").asText()), Instant.parse(n.get("period_end").asText()),
                new BigDecimal(n.get("amount").asText()), n.get("currency").asText(), new BigDecimal(n.get("limit").asText()),
                thresholds, n.get("unpriced").asBoolean(), n.get("event_id").asText());
    }

    private interface Writer<T> {
        ObjectNode write(T value);
    }

    private interface Reader<T> {
        T read(JsonNode node);
    }

    private static <T> Serializer<T> serializer(Writer<T> w) {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                return JSON.writeValueAsBytes(w.write(value));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static <T> Deserializer<T> deserializer(Reader<T> r) {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return r.read(JSON.readTree(bytes));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
