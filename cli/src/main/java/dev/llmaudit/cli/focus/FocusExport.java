package dev.llmaudit.cli.focus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FOCUS export: reads {@code llm.usage.rollups} from its start (read_committed, no consumer group,
 * nothing committed: the topic is the source of truth and the files are rebuilt from it), keeps the
 * latest revision of each key plus corrections, and writes one file per UTC day in AWS Data Exports'
 * layout, then each changed billing period's manifest (last, so a manifest never names a file not yet
 * written):
 *
 * <pre>
 * NAME/data/BILLING_PERIOD=2026-11/NAME-2026-11-02.snappy.parquet
 * NAME/metadata/BILLING_PERIOD=2026-11/NAME-Manifest.json
 * </pre>
 *
 * A day's file is rewritten whole whenever a revision or correction changes that day. Rows of a
 * cloud without a configured billing account are withheld (FOCUS BillingAccountId is never null), and
 * the manifest and the summary say how many and what they cost.
 */
public final class FocusExport {
    private static final Logger LOG = LoggerFactory.getLogger(FocusExport.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param name the export's name (folder and file prefix)
     * @param granularity hour or day: which rollups it exports
     * @param since the first billing period exported, or null for all
     * @param periods how many billing periods up to the current one are exported and held in memory (as months pass,
     *                a following export lets the oldest go: its files stay as last written), or 0 for all
     */
    public record Settings(String name, FocusFiles.Format format, String granularity, YearMonth since, int periods, BillingAccounts accounts) {}

    /** What one day's file holds. */
    record DayFile(String key, LocalDate day, int rows, int bytes, Map<String, Totals> totals, Map<String, Totals> withheld) {}

    /** Sums per currency (or per withheld cloud). */
    static final class Totals {
        BigDecimal billed = BigDecimal.ZERO;
        BigDecimal list = BigDecimal.ZERO;
        BigDecimal contracted = BigDecimal.ZERO;
        BigDecimal consumed = BigDecimal.ZERO;
        BigDecimal unpricedTokens = BigDecimal.ZERO;
        long rows;
        long unpricedRows;

        void add(Object[] row) {
            if ("unpriced".equals(FocusRows.get(row, FocusColumn.x_PricingStatus))) {
                unpricedRows++;
                unpricedTokens = unpricedTokens.add((BigDecimal) FocusRows.get(row, FocusColumn.ConsumedQuantity));
            } else {
                billed = billed.add((BigDecimal) FocusRows.get(row, FocusColumn.BilledCost));
                list = list.add((BigDecimal) FocusRows.get(row, FocusColumn.ListCost));
                contracted = contracted.add((BigDecimal) FocusRows.get(row, FocusColumn.ContractedCost));
            }
            consumed = consumed.add((BigDecimal) FocusRows.get(row, FocusColumn.ConsumedQuantity));
            rows++;
        }

        void add(Totals t) {
            billed = billed.add(t.billed);
            list = list.add(t.list);
            contracted = contracted.add(t.contracted);
            consumed = consumed.add(t.consumed);
            unpricedTokens = unpricedTokens.add(t.unpricedTokens);
            rows += t.rows;
            unpricedRows += t.unpricedRows;
        }

        ObjectNode json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("rows", rows);
            n.put("BilledCost", billed.toPlainString());
            n.put("ListCost", list.toPlainString());
            n.put("ContractedCost", contracted.toPlainString());
            n.put("ConsumedQuantity", consumed.toPlainString());
            n.put("unpricedRows", unpricedRows);
            n.put("unpricedTokens", unpricedTokens.toPlainString());
            return n;
        }
    }

    /** What a run did: shown to the user, and the exit status of a one-shot run. */
    public record Summary(boolean caughtUp, long records, long undecodable, long invalid, long revisionsBack, long lateForEvicted,
                          int filesWritten, int manifestsWritten, long rows, Map<String, Long> withheldRows) {
        /** True when something read is not in the files: undecodable, invalid or too late records, withheld rows. */
        public boolean incomplete() {
            return undecodable > 0 || invalid > 0 || lateForEvicted > 0 || !withheldRows.isEmpty();
        }
    }

    private final Settings settings;
    private final ExportTarget target;
    private final Path scratch;
    private final Clock clock;
    private final FocusLedger ledger;
    private final Map<LocalDate, DayFile> files = new TreeMap<>();
    private final Set<YearMonth> manifestsDue = new java.util.TreeSet<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private long records;
    private long undecodable;
    private int filesWritten;
    private int manifestsWritten;
    private boolean caughtUp;

    public FocusExport(Settings settings, ExportTarget target, Path scratch, Clock clock) {
        this.settings = settings;
        this.target = target;
        this.scratch = scratch;
        this.clock = clock;
        this.ledger = new FocusLedger(settings.granularity(), settings.since());
        keepPeriods();
    }

    /** How long a billing period is kept after it ends, for its last revisions and late corrections. */
    static final Duration PERIOD_GRACE = Duration.ofDays(7);

    /**
     * With --periods, the billing periods before the last N (up to the current UTC month) are let go, each only once
     * {@link #PERIOD_GRACE} has passed since it ended: the final revisions of its last windows come after it ends.
     */
    private void keepPeriods() {
        if (settings.periods() > 0) {
            Instant now = clock.instant();
            YearMonth first = YearMonth.from(now.atZone(ZoneOffset.UTC)).minusMonths(settings.periods() - 1L);
            YearMonth inGrace = YearMonth.from(now.minus(PERIOD_GRACE).atZone(ZoneOffset.UTC));
            ledger.keepFrom(inGrace.isBefore(first) ? inGrace : first);
            manifestsDue.removeIf(p -> p.isBefore(inGrace.isBefore(first) ? inGrace : first));
        }
    }

    /** Stops a following run after its current step (the files then hold everything read). */
    public void stop() {
        running.set(false);
    }

    /**
     * Reads the topic and writes the files.
     *
     * @param follow false: read up to the end offsets seen at the start, write, return; true: keep reading
     *               and write the changed days every {@code interval} until {@link #stop()}
     */
    public Summary run(Properties client, SchemaRegistryClient registry, String topic, boolean follow, Duration interval,
                       PrintWriter progress) throws IOException, InterruptedException {
        Properties p = new Properties();
        p.putAll(client);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.remove("group.id");
        ConfluentAvroDeserializer<UsageRollup> decoder = new ConfluentAvroDeserializer<>(registry, UsageRollup.class);
        boolean interrupted = false;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitions(c, topic, follow);
            if (partitions == null) {
                return summary();
            }
            List<TopicPartition> assigned = new ArrayList<>(partitions);
            c.assign(assigned);
            c.seekToBeginning(assigned);
            Map<TopicPartition, Long> end = c.endOffsets(assigned, Duration.ofSeconds(30));
            long lastWrite = System.nanoTime();
            long lastProgress = System.nanoTime();
            long lastLookedAtPartitions = System.nanoTime();
            caughtUp = false;
            while (running.get()) {
                if (follow && System.nanoTime() - lastLookedAtPartitions > Duration.ofMinutes(1).toNanos()) {
                    // Partitions added to the topic later are read from their start too.
                    lastLookedAtPartitions = System.nanoTime();
                    try {
                        List<TopicPartition> added = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                                .map(i -> new TopicPartition(topic, i.partition())).filter(tp -> !assigned.contains(tp)).toList();
                        if (!added.isEmpty()) {
                            assigned.addAll(added);
                            c.assign(assigned);
                            c.seekToBeginning(added);
                        }
                    } catch (org.apache.kafka.common.errors.TimeoutException slowMetadata) {
                        LOG.warn("could not list the partitions of {} ({}); looking again in a minute", topic, slowMetadata.getMessage());
                    }
                }
                org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> polled;
                try {
                    polled = c.poll(Duration.ofMillis(500));
                } catch (org.apache.kafka.common.errors.InterruptException e) {
                    // The thread was interrupted: a stop like stop(), so what was read is still written (below).
                    Thread.interrupted();
                    interrupted = true;
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : polled) {
                    records++;
                    if (r.value() == null) {
                        continue; // a tombstone: nothing to export
                    }
                    UsageRollup rollup = decode(decoder, r, follow);
                    if (rollup != null) {
                        ledger.add(r.key(), rollup);
                    }
                }
                if (!caughtUp) {
                    caughtUp = end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue());
                    if (System.nanoTime() - lastProgress > Duration.ofSeconds(5).toNanos()) {
                        lastProgress = System.nanoTime();
                        progress.printf("llm-audit export focus: read %,d of about %,d records%n", records,
                                end.values().stream().mapToLong(Long::longValue).sum());
                        progress.flush();
                    }
                    if (caughtUp) {
                        if (!follow) {
                            writeChanged(progress); // a failure here ends a one-shot run (exit 1): nothing is retried silently
                            break;
                        }
                        writeOrRetryLater(progress);
                        lastWrite = System.nanoTime();
                    }
                } else if (System.nanoTime() - lastWrite >= interval.toNanos()) {
                    writeOrRetryLater(progress);
                    keepPeriods(); // after the write: what was read for a period is written before it is let go
                    lastWrite = System.nanoTime();
                }
            }
            if (follow && caughtUp) {
                writeOrRetryLater(progress); // what was read before the stop
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // after the consumer closed: closing with the flag set would throw
        }
        return summary();
    }

    /** The record's rollup; null when it is not one (counted); waits while the registry cannot be reached, so nothing is skipped for that. */
    private UsageRollup decode(ConfluentAvroDeserializer<UsageRollup> decoder, ConsumerRecord<String, byte[]> r, boolean follow)
            throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return decoder.deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                if (!dev.llmaudit.cli.notify.Notifier.unreachable(e)) {
                    // Not a rollup this build can read: counted in the manifest and the summary; the topic keeps it.
                    undecodable++;
                    LOG.warn("skipping an undecodable record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
                    return null;
                }
                if (!follow && attempt >= 24 || !running.get()) {
                    throw new IllegalStateException("cannot reach the schema registry to read " + r.topic() + "-" + r.partition() + "@"
                            + r.offset() + " (" + e.getMessage() + "); nothing was written for the records after it", e);
                }
                LOG.warn("Cannot reach the schema registry ({}); trying again in 5 s", e.toString());
                Thread.sleep(5_000);
            }
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c, String topic, boolean follow) throws InterruptedException {
        while (running.get()) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            }
            if (!follow) {
                throw new IllegalStateException("topic " + topic + " does not exist (is the rollups job running? see --topic)");
            }
            LOG.warn("topic {} does not exist yet; looking again in 10 s", topic);
            Thread.sleep(10_000);
        }
        return null;
    }

    /** A following export keeps going when the store fails: the days stay changed and are written at the next interval. */
    private void writeOrRetryLater(PrintWriter progress) {
        try {
            writeChanged(progress);
        } catch (IOException | RuntimeException e) {
            LOG.error("could not write the FOCUS files ({}); trying again in the next interval", e.toString());
        }
    }

    /**
     * Writes the changed days, then the manifests of their billing periods. What fails stays due: the days not
     * written stay changed, and a period whose manifest was not written keeps it due.
     */
    void writeChanged(PrintWriter progress) throws IOException {
        List<LocalDate> days = ledger.takeChanged();
        if (days.isEmpty() && manifestsDue.isEmpty()) {
            return;
        }
        IOException failed = null;
        int written = 0;
        for (LocalDate day : days) {
            try {
                files.put(day, writeDay(day));
                written++;
            } catch (IOException | RuntimeException e) {
                // This day stays due; the others are still written (one failing day must not hold back the rest).
                ledger.markChanged(List.of(day));
                LOG.error("could not write the FOCUS file of {}: {}", day, e.toString());
                failed = failed != null ? failed : e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                continue;
            }
            manifestsDue.add(YearMonth.from(day));
        }
        int manifests = 0;
        for (YearMonth period : new ArrayList<>(manifestsDue)) {
            writeManifest(period);
            manifestsDue.remove(period);
            manifests++;
        }
        if (failed != null) {
            throw failed;
        }
        progress.printf("llm-audit export focus: wrote %d day file(s) and %d manifest(s) (%s)%n", written, manifests,
                target.describe(settings.name() + "/"));
        progress.flush();
    }

    private DayFile writeDay(LocalDate day) throws IOException {
        List<Object[]> rows = new ArrayList<>();
        Map<String, Totals> totals = new TreeMap<>();
        Map<String, Totals> withheld = new TreeMap<>();
        for (UsageRollup r : ledger.rollups(day)) {
            String cloud = r.getXCloud() == null ? "other" : r.getXCloud().name();
            BillingAccounts.Account account = settings.accounts().of(cloud);
            List<Object[]> of = FocusRows.of(r, account != null ? account : new BillingAccounts.Account("withheld", null, null));
            for (Object[] row : of) {
                if (account == null) {
                    withheld.computeIfAbsent(cloud + " " + r.getBillingCurrency(), k -> new Totals()).add(row);
                } else {
                    rows.add(row);
                    totals.computeIfAbsent(r.getBillingCurrency(), k -> new Totals()).add(row);
                }
            }
        }
        YearMonth period = YearMonth.from(day);
        String key = settings.name() + "/data/BILLING_PERIOD=" + period + "/" + settings.name() + "-" + day + settings.format().suffix;
        byte[] bytes = FocusFiles.write(rows, settings.format(), scratch);
        target.put(key, bytes, settings.format().contentType);
        filesWritten++;
        if (!withheld.isEmpty()) {
            LOG.warn("{}: withheld the rows of {} (no billing account configured; add --billing-account CLOUD=ID)", key,
                    withheld.keySet().stream().map(k -> k.substring(0, k.indexOf(' '))).distinct().toList());
        }
        return new DayFile(key, day, rows.size(), bytes.length, totals, withheld);
    }

    private void writeManifest(YearMonth period) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("exportName", settings.name());
        m.put("focusVersion", FocusColumn.FOCUS_VERSION);
        Instant start = period.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        ObjectNode billing = m.putObject("billingPeriod");
        billing.put("start", start.toString());
        billing.put("end", period.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString());
        m.put("granularity", settings.granularity().equals("hour") ? "HOURLY" : "DAILY");
        m.put("format", settings.format().name());
        m.put("writtenAt", clock.instant().toString());
        m.put("content", "The latest revision of every rollup key plus every correction; rows with x_IsFinal false belong to a window"
                + " still open and are replaced by later revisions.");
        ArrayNode columns = m.putArray("columns");
        for (FocusColumn c : FocusColumn.values()) {
            ObjectNode col = columns.addObject();
            col.put("name", c.name());
            col.put("type", c.type() == FocusColumn.Type.DECIMAL ? "DECIMAL(38,12)" : c.type().name());
        }
        ArrayNode data = m.putArray("dataFiles");
        Map<String, Totals> totals = new TreeMap<>();
        Map<String, Totals> withheld = new TreeMap<>();
        for (LocalDate day : ledger.days(period)) {
            DayFile f = files.get(day);
            if (f == null) {
                continue;
            }
            ObjectNode file = data.addObject();
            file.put("key", f.key());
            file.put("day", day.toString());
            file.put("rows", f.rows());
            file.put("bytes", f.bytes());
            f.totals().forEach((cur, t) -> totals.computeIfAbsent(cur, k -> new Totals()).add(t));
            f.withheld().forEach((cloudCurrency, t) -> withheld.computeIfAbsent(cloudCurrency, k -> new Totals()).add(t));
        }
        ObjectNode byCurrency = m.putObject("totals");
        totals.forEach((cur, t) -> byCurrency.set(cur, t.json()));
        if (!withheld.isEmpty()) {
            ObjectNode w = m.putObject("withheldRows");
            withheld.forEach((cloudCurrency, t) -> {
                String cloud = cloudCurrency.substring(0, cloudCurrency.indexOf(' '));
                w.with(cloud).set(cloudCurrency.substring(cloud.length() + 1), t.json().put("reason", "no billing account configured for "
                        + cloud + " (FOCUS BillingAccountId is never null): add --billing-account " + cloud + "=ID or billing_accounts."
                        + cloud + " in the config file, and export again"));
            });
        }
        // Of this run (all periods): records not in any file, and revisions that went back.
        ObjectNode run = m.putObject("run");
        run.put("recordsRead", records);
        run.put("undecodableRecords", undecodable);
        run.put("invalidRecords", ledger.invalid());
        run.put("revisionsGoingBack", ledger.revisionsBack());
        run.put("recordsForPeriodsLetGo", ledger.lateForEvicted());
        String key = settings.name() + "/metadata/BILLING_PERIOD=" + period + "/" + settings.name() + "-Manifest.json";
        target.put(key, JSON.writeValueAsBytes(m), "application/json");
        manifestsWritten++;
    }

    private Summary summary() {
        Map<String, Long> withheld = new TreeMap<>();
        long rows = 0;
        for (DayFile f : files.values()) {
            rows += f.rows();
            f.withheld().forEach((cloudCurrency, t) -> withheld.merge(cloudCurrency.substring(0, cloudCurrency.indexOf(' ')), t.rows, Long::sum));
        }
        return new Summary(caughtUp, records, undecodable, ledger.invalid(), ledger.revisionsBack(), ledger.lateForEvicted(), filesWritten,
                manifestsWritten, rows, withheld);
    }

}
