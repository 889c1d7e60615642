package dev.llmaudit.enforcer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The per-task budget sums: the logged store is the truth, the in-memory copy only spares deserialization.
 * Kafka Streams revives a task closed dirty (a commit timeout under exactly-once, a corrupted task) with the
 * same processor object and calls init again, with the store restored to the last commit.
 */
class PreAggregateBudgetsTest {
    static BudgetContribution contribution(String eventId, String amount) {
        return new BudgetContribution("team-monthly", "team-monthly|team=claims|2026-11", Map.of("team", "claims"), BudgetPeriod.MONTH,
                "2026-11", "UTC", Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-12-01T00:00:00Z"), new BigDecimal(amount), "USD",
                new BigDecimal("1000"), List.of(50, 80, 100), false, eventId);
    }

    MockProcessorContext<String, BudgetCodec.Sum> context = new MockProcessorContext<>();
    KeyValueStore<String, BudgetCodec.Sum> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EnforcementTopology.PENDING_STORE),
            Serdes.String(), BudgetCodec.sums()).withLoggingDisabled().build();

    PreAggregateBudgetsTest() {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    void flush() {
        context.scheduledPunctuators().get(context.scheduledPunctuators().size() - 1).getPunctuator().punctuate(1L);
    }

    @Test
    void callsAreSummedAndFlushedOnce() {
        var p = new EnforcementTopology.PreAggregateBudgets(Duration.ofMillis(200));
        p.init(context);
        String key = "team-monthly|team=claims|2026-11";
        p.process(new Record<>(key, contribution("e1", "1.25"), 0L));
        p.process(new Record<>(key, contribution("e2", "0.75"), 0L));
        flush();
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().value().amount()).isEqualByComparingTo("2.00");
            assertThat(f.record().value().pricedCalls()).isEqualTo(2);
            assertThat(f.record().value().last().eventId()).isEqualTo("e2");
        });
        assertThat(store.get(key)).as("gone from the store once flushed").isNull();
        context.resetForwards();
        flush();
        assertThat(context.forwarded()).as("nothing twice").isEmpty();
    }

    @Test
    void aTaskRevivedInPlaceForgetsSumsOfTheAbortedTransaction() {
        var p = new EnforcementTopology.PreAggregateBudgets(Duration.ofMillis(200));
        p.init(context);
        String key = "team-monthly|team=claims|2026-11";
        p.process(new Record<>(key, contribution("e1", "5"), 0L));
        // The transaction is aborted and the task closed dirty: the store is restored to the last commit,
        // which did not have this sum; the input is replayed after init.
        store.delete(key);
        p.init(context);
        flush();
        assertThat(context.forwarded()).as("the aborted contribution is not sent; its replay will be").isEmpty();
        // A sum the last commit did hold (a crash before its flush) is flushed after the restore.
        store.put(key, BudgetCodec.Sum.of(contribution("e9", "3")));
        p.init(context);
        flush();
        assertThat(context.forwarded()).singleElement().satisfies(f -> assertThat(f.record().value().amount()).isEqualByComparingTo("3"));
    }
}
