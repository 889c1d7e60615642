package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.Violations;
import dev.llmaudit.jobs.ContractMoney;
import dev.llmaudit.jobs.PricedCalls;
import dev.llmaudit.jobs.PipelineTopics;
import dev.llmaudit.avro.BudgetPeriod;
import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Money;
import dev.llmaudit.avro.PolicyKind;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.PricedLlmCall;
import dev.llmaudit.avro.Severity;
import dev.llmaudit.policy.avro.LlmCalls;
import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.engine.Evaluation;
import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.jobs.DeadLetters;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.json.FieldError;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroCodec;
import dev.llmaudit.schemas.wire.ConfluentAvroSerde;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enforcer's topology, built from typed settings (main only wires):
 * <pre>
 * llm.events --validate--> (bad: llm.events.dlq with reason, topic, partition, offset)
 *            --deduplicate by event_id (horizon)--> evaluate with the bundle in force
 *            --> llm.events.priced, llm.violations,
 *            --> budget contributions, repartitioned by budget instance and period
 *                --> accumulate (state store) --> llm.budget.status + threshold crossings to llm.violations
 * llm.policies (global) --> validated bundle swapped in; invalid bundles refused, last good stays
 * </pre>
 * Run with {@code processing.guarantee=exactly_once_v2}: state, outputs and offsets commit together,
 * so a threshold crossing is reported once per budget, period and threshold, also across restarts.
 */
public final class EnforcementTopology {
    static {
        // Building records resolves generated enum classes by name; Avro 1.12 must trust them first.
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses();
    }

    private static final Logger LOG = LoggerFactory.getLogger(EnforcementTopology.class);
    static final String DEDUP_STORE = "dedup-store";
    static final String BUDGET_STORE = "budget-store";
    /** Contributions summed per budget instance and period within a task, until the next flush. */
    static final String PENDING_STORE = "budget-pending-store";
    static final Duration DEFAULT_BUDGET_FLUSH_INTERVAL = Duration.ofMillis(200);
    static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(1);
    static final String POLICY_STORE = "policy-store";

    private EnforcementTopology() {}

    /** Result of validation: an event, or a dead letter. */
    record Validated(LlmCallEvent event, DeadLetter dead) {}

    /** Result of evaluation. */
    record Evaluated(PricedLlmCall priced, List<PolicyViolation> violations, List<BudgetContribution> contributions) {}

    /** Output of the budget processor: threshold crossings (at once) or a status (on the status interval). */
    record BudgetUpdate(BudgetStatus status, List<PolicyViolation> crossings) {}

    public static Topology build(PipelineTopics topics, EngineHolder engines, SchemaRegistryClient registry, Duration dedupHorizon) {
        return build(topics, engines, registry, dedupHorizon, DEFAULT_STATUS_INTERVAL, EventBounds.DEFAULT_FUTURE_SKEW,
                DEFAULT_BUDGET_FLUSH_INTERVAL);
    }

    /**
     * @param statusInterval how often the latest status of each budget that changed is written to the
     *     budget status topic (a compacted topic keeps only the latest anyway; threshold crossings are
     *     written at once)
     * @param futureSkew events later than the enforcer's clock plus this are dead-lettered (they would
     *     otherwise count in budget periods that have not begun)
     * @param budgetFlushInterval how long budget contributions are summed within a task before they cross
     *     the repartition (a threshold crossing is reported at most this much later)
     */
    public static Topology build(PipelineTopics topics, EngineHolder engines, SchemaRegistryClient registry, Duration dedupHorizon,
                                 Duration statusInterval, Duration futureSkew, Duration budgetFlushInterval) {
        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(dedupStore(dedupHorizon));
        // Cached: a hot budget is updated by many events between commits; only its last value is logged.
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUDGET_STORE), Serdes.String(), BudgetCodec.budgets())
                .withCachingEnabled());
        // Logged (so a sum whose input offsets were committed survives a crash) and cached (so a hot budget costs one
        // changelog record per commit, not one per event).
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(), BudgetCodec.sums())
                .withCachingEnabled());
        b.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(POLICY_STORE), Serdes.String(), Serdes.String())
                        .withLoggingDisabled(),
                topics.policies(), Consumed.with(Serdes.String(), Serdes.String()), () -> new PolicyProcessor(engines));

        ConfluentAvroCodec<LlmCallEvent> codec = new ConfluentAvroCodec<>(registry, LlmCallEvent.class, false);
        KStream<String, Validated> validated = b.stream(topics.events(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .process(() -> new ValidateProcessor(codec, dedupHorizon, futureSkew), Named.as("validate-deduplicate"), DEDUP_STORE);
        validated.filter((k, v) -> v.dead() != null, Named.as("dead-letters"))
                .mapValues(Validated::dead, Named.as("dead-letter-record"))
                .to(topics.dlq(), Produced.with(Serdes.String(), ConfluentAvroSerde.forType(DeadLetter.class, registry, true)).withName("dlq-sink"));

        KStream<String, Evaluated> evaluated = validated.filter((k, v) -> v.event() != null, Named.as("valid-events"))
                .mapValues(Validated::event, Named.as("event"))
                .process(() -> new EvaluateProcessor(engines), Named.as("price-evaluate"));
        evaluated.mapValues(Evaluated::priced, Named.as("priced"))
                .to(topics.priced(), Produced.with(Serdes.String(), ConfluentAvroSerde.forType(PricedLlmCall.class, registry, true)).withName("priced-sink"));
        ConfluentAvroSerde<PolicyViolation> violationSerde = ConfluentAvroSerde.forType(PolicyViolation.class, registry, true);
        evaluated.flatMap((k, v) -> v.violations().stream().map(x -> KeyValue.pair(x.getViolationId(), x)).toList(), Named.as("violations"))
                .to(topics.violations(), Produced.with(Serdes.String(), violationSerde).withName("violations-sink"));

        // Two-phase: sum per budget instance and period within the task first, so the repartition carries about one
        // record per budget and flush interval instead of one per event.
        KStream<String, BudgetUpdate> budgets = evaluated
                .flatMap((k, v) -> v.contributions().stream().map(c -> KeyValue.pair(c.ledgerKey(), c)).toList(), Named.as("budget-contributions"))
                .process(() -> new PreAggregateBudgets(budgetFlushInterval), Named.as("sum-budget-contributions"), PENDING_STORE)
                .repartition(Repartitioned.with(Serdes.String(), BudgetCodec.sums()).withName("budget-by-period"))
                .process(() -> new BudgetProcessor(engines, statusInterval), Named.as("accumulate-budgets"), BUDGET_STORE);
        budgets.filter((k, v) -> v.status() != null, Named.as("budget-status-changed"))
                .mapValues(BudgetUpdate::status, Named.as("budget-status"))
                .to(topics.budgetStatus(), Produced.with(Serdes.String(), ConfluentAvroSerde.forType(BudgetStatus.class, registry, true))
                        .withName("budget-status-sink"));
        budgets.flatMap((k, v) -> v.crossings().stream().map(x -> KeyValue.pair(x.getViolationId(), x)).toList(), Named.as("threshold-crossings"))
                .to(topics.violations(), Produced.with(Serdes.String(), violationSerde).withName("crossings-sink"));
        return b.build();
    }

    // ------------------------------------------------------------------ policies (global)

    /** Applies bundles from the policies topic; keeps only valid ones in the store. */
    static final class PolicyProcessor implements Processor<String, String, Void, Void> {
        private final EngineHolder engines;
        private KeyValueStore<String, String> store;

        PolicyProcessor(EngineHolder engines) {
            this.engines = engines;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(POLICY_STORE);
            String current = store.get("current");
            if (current != null) {
                engines.apply(current);
            }
        }

        @Override
        public void process(Record<String, String> record) {
            if (record.value() == null) {
                return;
            }
            if (engines.apply(record.value()).isEmpty()) {
                store.put("current", record.value());
            }
        }
    }

    // ------------------------------------------------------------------ validate + deduplicate

    /**
     * Decodes, checks the contract's bounds ({@link EventBounds}: records reach {@code llm.events} from
     * any writer, not only through the gateway or the client, which check them too) and deduplicates by
     * (tenant, event_id). Anything it cannot accept becomes a dead letter naming the reason.
     */
    static final class ValidateProcessor implements Processor<String, byte[], String, Validated> {
        private final ConfluentAvroCodec<LlmCallEvent> codec;
        private final Duration horizon;
        private final Duration futureSkew;
        private ProcessorContext<String, Validated> context;
        private WindowStore<Bytes, byte[]> seen;
        private long deadLetters;
        private TaskCounters counters;
        private long lastWarnNanos = System.nanoTime() - 2_000_000_000L;

        ValidateProcessor(ConfluentAvroCodec<LlmCallEvent> codec, Duration horizon, Duration futureSkew) {
            this.codec = codec;
            this.horizon = horizon;
            this.futureSkew = futureSkew;
        }

        @Override
        public void init(ProcessorContext<String, Validated> context) {
            this.context = context;
            this.seen = context.getStateStore(DEDUP_STORE);
            this.counters = new TaskCounters(context);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.value() != null && record.value().length > EventBounds.MAX_EVENT_BYTES + 5) {
                // Refused before decoding: the contract bounds a whole event, whatever is inside it.
                dead(record, "validate", "OutOfBounds", "$: the record is " + record.value().length + " bytes; an event is at most "
                        + EventBounds.MAX_EVENT_BYTES + " bytes encoded");
                return;
            }
            LlmCallEvent event;
            try {
                event = codec.decode(record.value());
            } catch (RuntimeException e) {
                dead(record, "deserialize", e.getClass().getSimpleName(), DeadLetters.reason(e));
                return;
            }
            if (event == null) {
                dead(record, "validate", "NullValue", "record has no value (tombstone); llm.events carries events only");
                return;
            }
            // The size bound applies to the event as it will be written again. Decoding can grow it (each invalid UTF-8
            // byte becomes a 3-byte replacement character), so only a record under a third of the bound skips the
            // second encoding: most do, and encoding every event again cost about 5 % of the stream threads.
            long written = record.value().length - (long) ConfluentAvroCodec.HEADER_SIZE;
            List<FieldError> problems = EventBounds.check(event,
                    new EventBounds.TimeWindow(Instant.ofEpochMilli(context.currentSystemTimeMs()), futureSkew, null),
                    written <= EventBounds.MAX_EVENT_BYTES / 3 ? written : -1);
            if (!problems.isEmpty()) {
                dead(record, "validate", "OutOfBounds", problems.stream().map(FieldError::toString).collect(java.util.stream.Collectors.joining("; ")));
                return;
            }
            if (!event.getEventId().equals(record.key())) {
                dead(record, "validate", "KeyMismatch", "record key " + EventBounds.quote(record.key()) + " is not the event_id "
                        + EventBounds.quote(event.getEventId()) + "; producers must key llm.events by event_id (the llm-audit client and gateway do)");
                return;
            }
            // The horizon is about arrival: a copy arriving within it of the first is dropped. Arrival time
            // (the record timestamp), not event time: a stream may span weeks of event time, and keying the
            // window on event time let old events' entries expire while their copies were still arriving.
            // Keyed by tenant and id: one tenant's ids cannot suppress another tenant's events.
            long t = record.timestamp();
            Bytes key = DedupKeys.of(event.getTenant(), event.getEventId());
            try (WindowStoreIterator<byte[]> it = seen.fetch(key, t - horizon.toMillis(), t + horizon.toMillis())) {
                if (it.hasNext()) {
                    counters.inc("duplicates-dropped", "Copies of an event dropped within the dedup horizon");
                    return; // a duplicate within the horizon: already processed once
                }
            }
            seen.put(key, SEEN, t);
            context.forward(record.withValue(new Validated(event, null)));
        }

        private void dead(Record<String, byte[]> record, String stage, String errorClass, String message) {
            var meta = context.recordMetadata();
            DeadLetter d = DeadLetters.of(stage, errorClass, message, meta.map(m -> m.topic()).orElse(null),
                    meta.map(m -> m.partition()).orElse(null), meta.map(m -> m.offset()).orElse(null),
                    record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value(),
                    Instant.ofEpochMilli(context.currentSystemTimeMs()));
            Record<String, Validated> out = record.withValue(new Validated(null, d));
            DeadLetters.addHeaders(out.headers(), d);
            deadLetters++;
            counters.inc("dead-letters", "Records sent to the dead-letter topic, by stage and reason", "stage", stage, "reason", errorClass);
            long now = System.nanoTime();
            // One WARN per second at most: a stream of bad input must not flood the log (all are on the DLQ topic).
            if (now - lastWarnNanos > 1_000_000_000L) {
                LOG.warn("Dead letter from {}-{}@{}: {}: {} ({} dead letters so far in this task)", d.getSourceTopic(),
                        d.getSourcePartition(), d.getSourceOffset(), errorClass, EventBounds.excerpt(d.getErrorMessage(), 300), deadLetters);
                lastWarnNanos = now;
            }
            context.forward(out);
        }
    }

    /**
     * The deduplication store: one entry per event for the horizon (retention = horizon; RocksDB segments
     * keep up to half a horizon more), compact keys ({@link DedupKeys}) and empty values.
     */
    static org.apache.kafka.streams.state.StoreBuilder<WindowStore<Bytes, byte[]>> dedupStore(Duration horizon) {
        return Stores.windowStoreBuilder(Stores.persistentWindowStore(DEDUP_STORE, horizon, horizon, false), Serdes.Bytes(),
                Serdes.ByteArray());
    }

    /** The dedup store's value: the key and its timestamp are the whole fact. */
    static final byte[] SEEN = new byte[0];

    // ------------------------------------------------------------------ price + evaluate

    static final class EvaluateProcessor implements Processor<String, LlmCallEvent, String, Evaluated> {
        private final EngineHolder engines;
        private ProcessorContext<String, Evaluated> context;
        private TaskCounters counters;

        EvaluateProcessor(EngineHolder engines) {
            this.engines = engines;
        }

        @Override
        public void init(ProcessorContext<String, Evaluated> context) {
            this.context = context;
            this.counters = new TaskCounters(context);
        }

        @Override
        public void process(Record<String, LlmCallEvent> record) {
            PolicyEngine engine = engines.engine();
            LlmCallEvent event = record.value();
            Evaluation e = engine.evaluate(LlmCalls.from(event));
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            List<PolicyViolation> violations = new ArrayList<>();
            for (Finding f : e.findings()) {
                if (f.advice()) {
                    // Savings advice is for finance, in aggregate (the rollups' counterfactual), not for the violations topic.
                    counters.inc("savings-advice", "Price-check findings below the violation thresholds (not written to violations)",
                            "policy", f.policyId());
                    continue;
                }
                counters.inc(f.kind() == dev.llmaudit.policy.model.PolicyKind.POLICY_ERROR ? "policy-errors" : "violations",
                        "Findings written to the violations topic (policy-errors: a policy that failed for a call)", "policy", f.policyId());
                violations.add(Violations.ofCall(f, event, e.bundleVersion(), e.catalogVersion(), now));
            }
            if (!e.pricing().priced()) {
                counters.inc("unpriced-calls", "Calls without a price (counted and flagged, never $0)", "status", e.pricing().status().name().toLowerCase());
            }
            PricedLlmCall priced = PricedCalls.of(event, e, engine.bundle().prices().currency(),
                    violations.stream().map(PolicyViolation::getViolationId).toList(), now);
            context.forward(record.withValue(new Evaluated(priced, violations, e.budgetContributions())));
        }
    }

    // ------------------------------------------------------------------ budgets

    /**
     * Sums the contributions of each budget instance and period within the task and forwards the sums
     * every {@code flushInterval}. Exactly once: the pending sums live in a logged store, so a sum is in
     * the same transaction as the input offsets that made it; forwarding it and deleting it from the
     * store happen in one transaction too.
     */
    static final class PreAggregateBudgets implements Processor<String, BudgetContribution, String, BudgetCodec.Sum> {
        private final Duration flushInterval;
        /**
         * The store's unflushed sums, also in memory: the store (logged, in the same transaction as the
         * input offsets) is what survives a crash; this copy spares a deserialization per event.
         */
        private final Map<String, BudgetCodec.Sum> pending = new LinkedHashMap<>();
        private ProcessorContext<String, BudgetCodec.Sum> context;
        private KeyValueStore<String, BudgetCodec.Sum> store;

        PreAggregateBudgets(Duration flushInterval) {
            this.flushInterval = flushInterval;
        }

        @Override
        public void init(ProcessorContext<String, BudgetCodec.Sum> context) {
            this.context = context;
            this.store = context.getStateStore(PENDING_STORE);
            // The store is the truth: a task closed dirty and revived in place keeps this processor object, and
            // its in-memory sums may include contributions of an aborted transaction that will be replayed.
            pending.clear();
            // Sums restored from the changelog (a crash before their flush) are flushed like any other.
            try (KeyValueIterator<String, BudgetCodec.Sum> all = store.all()) {
                all.forEachRemaining(kv -> pending.put(kv.key, kv.value));
            }
            context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
        }

        @Override
        public void process(Record<String, BudgetContribution> record) {
            BudgetCodec.Sum before = pending.get(record.key());
            BudgetCodec.Sum after = before == null ? BudgetCodec.Sum.of(record.value()) : before.plus(record.value());
            store.put(record.key(), after);
            pending.put(record.key(), after);
        }

        private void flush(long now) {
            // Each entry leaves the map as it is forwarded: a failure part-way sends none of them twice.
            var it = pending.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<String, BudgetCodec.Sum> e = it.next();
                it.remove();
                store.delete(e.getKey());
                context.forward(new Record<>(e.getKey(), e.getValue(), now));
            }
        }

        @Override
        public void close() {
            pending.clear();
        }
    }

    /**
     * Accumulates contributions per budget instance and period. Threshold crossings go out with the
     * contribution that caused them; statuses go out every {@code statusInterval} for the budgets that
     * changed since (not once per event: that was most of the enforcer's writes). Changed-but-unwritten
     * keys live only in memory, so after a restart or rebalance every budget of the task is written again:
     * the store is restored exactly (same transaction as the inputs), so the statuses are too.
     */
    static final class BudgetProcessor implements Processor<String, BudgetCodec.Sum, String, BudgetUpdate> {
        private final EngineHolder engines;
        private final Duration statusInterval;
        private final Set<String> changed = new LinkedHashSet<>();
        private ProcessorContext<String, BudgetUpdate> context;
        private KeyValueStore<String, BudgetCodec.Budget> store;
        private TaskCounters counters;

        BudgetProcessor(EngineHolder engines, Duration statusInterval) {
            this.engines = engines;
            this.statusInterval = statusInterval;
        }

        @Override
        public void init(ProcessorContext<String, BudgetUpdate> context) {
            this.context = context;
            this.store = context.getStateStore(BUDGET_STORE);
            this.counters = new TaskCounters(context);
            try (KeyValueIterator<String, BudgetCodec.Budget> all = store.all()) {
                all.forEachRemaining(kv -> changed.add(kv.key));
            }
            context.schedule(statusInterval, PunctuationType.WALL_CLOCK_TIME, this::writeStatuses);
        }

        @Override
        public void process(Record<String, BudgetCodec.Sum> record) {
            BudgetCodec.Sum sum = record.value();
            BudgetContribution c = sum.last();
            BudgetCodec.Budget before = store.get(record.key());
            BudgetLedger.Update u = BudgetLedger.apply(before == null ? BudgetLedger.State.EMPTY : before.state(), c, sum.amount(),
                    sum.pricedCalls(), sum.unpricedCalls());
            store.put(record.key(), new BudgetCodec.Budget(c, u.state()));
            changed.add(record.key());
            if (u.crossed().isEmpty()) {
                return;
            }
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            PolicyEngine engine = engines.engine();
            List<PolicyViolation> crossings = new ArrayList<>();
            for (int t : u.crossed()) {
                counters.inc("threshold-crossings", "Budget threshold crossings reported", "budget", c.budgetId());
                Finding f = BudgetLedger.crossingFinding(c, u.state(), t, engine.severityOf(c.budgetId()));
                crossings.add(Violations.ofBudget(f, c.eventId(), c.scope(), engine.bundle().version(), engine.bundle().prices().version(),
                        now));
            }
            context.forward(record.withValue(new BudgetUpdate(null, crossings)));
        }

        private void writeStatuses(long now) {
            PolicyEngine engine = engines.engine();
            try {
                for (String key : changed) {
                    BudgetCodec.Budget b = store.get(key);
                    if (b == null) {
                        continue;
                    }
                    BudgetContribution c = b.last();
                    BudgetLedger.State state = b.state();
                    BudgetStatus status;
                    try {
                        status = BudgetStatus.newBuilder().setBudgetId(c.budgetId()).setScope(c.scope())
                                .setPeriod(BudgetPeriod.valueOf(c.period().id())).setPeriodStart(c.periodStart()).setPeriodEnd(c.periodEnd())
                                .setTimeZone(c.timeZone()).setSpent(ContractMoney.of(state.spent(), c.currency()))
                                .setLimit(ContractMoney.of(c.limit(), c.currency())).setLastThresholdCrossed(state.lastThreshold())
                                .setUnpricedCalls(state.unpricedCalls()).setUpdatedAt(Instant.ofEpochMilli(now))
                                .setBundleVersion(engine.bundle().version()).build();
                    } catch (ContractMoney.Unrepresentable e) {
                        // One budget whose limit or spend the contract cannot carry must not hold back every other status.
                        counters.inc("dead-letters", "Records sent to the dead-letter topic, by stage and reason", "stage", "budget-status",
                                "reason", "Unrepresentable");
                        LOG.error("Budget {}: no status written, {}", key, e.getMessage());
                        continue;
                    }
                    context.forward(new Record<>(key, new BudgetUpdate(status, List.of()), now));
                }
            } finally {
                changed.clear();
            }
        }
    }
}
