package dev.llmaudit.enforcer;

import dev.llmaudit.jobs.ExactDecimals;
import dev.llmaudit.policy.engine.BudgetLedger;
import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.BudgetPeriod;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.ByteBufferInputStream;
import org.apache.kafka.common.utils.ByteBufferOutputStream;

/**
 * Binary encodings of the enforcer's internal budget data: contributions on the internal
 * repartition topic (keyed by budget instance and period) and the per-budget state in the
 * changelogged store. Decimals travel exactly (unscaled value and scale). Every record starts with
 * its layout version. (A JSON tree encoding cost about a sixth of the stream thread's time.)
 */
final class BudgetCodec {
    private static final int CONTRIBUTION_V1 = 1;
    private static final int BUDGET_V1 = 1;
    private static final int SUM_V1 = 1;

    private BudgetCodec() {}

    /** The state of one budget instance in one period, with what the status record needs. */
    record Budget(BudgetContribution last, BudgetLedger.State state) {}

    /** Contributions of one budget instance and period summed within a task: what crosses the repartition. */
    record Sum(BudgetContribution last, BigDecimal amount, long pricedCalls, long unpricedCalls) {
        static Sum of(BudgetContribution c) {
            return c.unpriced() ? new Sum(c, BigDecimal.ZERO, 0, 1) : new Sum(c, c.amount(), 1, 0);
        }

        Sum plus(BudgetContribution c) {
            return c.unpriced() ? new Sum(c, amount, pricedCalls, unpricedCalls + 1) : new Sum(c, amount.add(c.amount()), pricedCalls + 1, unpricedCalls);
        }
    }

    static Serde<Sum> sums() {
        return Serdes.serdeFrom(serializer((out, s) -> {
            out.writeByte(SUM_V1);
            write(out, s.last());
            ExactDecimals.write(out, s.amount());
            out.writeLong(s.pricedCalls());
            out.writeLong(s.unpricedCalls());
        }), deserializer(in -> {
            expect(in, SUM_V1, "budget sum");
            return new Sum(readContribution(in), ExactDecimals.read(in), in.readLong(), in.readLong());
        }));
    }

    static Serde<BudgetContribution> contributions() {
        return Serdes.serdeFrom(serializer((out, c) -> {
            out.writeByte(CONTRIBUTION_V1);
            write(out, c);
        }), deserializer(in -> {
            expect(in, CONTRIBUTION_V1, "budget contribution");
            return readContribution(in);
        }));
    }

    static Serde<Budget> budgets() {
        return Serdes.serdeFrom(serializer((out, b) -> {
            out.writeByte(BUDGET_V1);
            write(out, b.last());
            ExactDecimals.write(out, b.state().spent());
            out.writeLong(b.state().unpricedCalls());
            out.writeInt(b.state().lastThreshold() == null ? -1 : b.state().lastThreshold());
        }), deserializer(in -> {
            expect(in, BUDGET_V1, "budget state");
            BudgetContribution last = readContribution(in);
            BigDecimal spent = ExactDecimals.read(in);
            long unpriced = in.readLong();
            int threshold = in.readInt();
            return new Budget(last, new BudgetLedger.State(spent, unpriced, threshold < 0 ? null : threshold));
        }));
    }

    static void write(DataOutputStream out, BudgetContribution c) throws IOException {
        out.writeUTF(c.budgetId());
        out.writeUTF(c.budgetKey());
        out.writeInt(c.scope().size());
        for (Map.Entry<String, String> e : c.scope().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
        out.writeUTF(c.period().id());
        out.writeUTF(c.periodLabel());
        out.writeUTF(c.timeZone());
        writeInstant(out, c.periodStart());
        writeInstant(out, c.periodEnd());
        ExactDecimals.write(out, c.amount());
        out.writeUTF(c.currency());
        ExactDecimals.write(out, c.limit());
        out.writeInt(c.thresholds().size());
        for (int t : c.thresholds()) {
            out.writeInt(t);
        }
        out.writeBoolean(c.unpriced());
        out.writeUTF(c.eventId());
    }

    static BudgetContribution readContribution(DataInputStream in) throws IOException {
        String budgetId = in.readUTF();
        String budgetKey = in.readUTF();
        int n = in.readInt();
        Map<String, String> scope = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            scope.put(in.readUTF(), in.readUTF());
        }
        BudgetPeriod period = BudgetPeriod.parse(in.readUTF());
        String label = in.readUTF();
        String zone = in.readUTF();
        Instant start = readInstant(in);
        Instant end = readInstant(in);
        BigDecimal amount = ExactDecimals.read(in);
        String currency = in.readUTF();
        BigDecimal limit = ExactDecimals.read(in);
        int t = in.readInt();
        List<Integer> thresholds = new ArrayList<>(t);
        for (int i = 0; i < t; i++) {
            thresholds.add(in.readInt());
        }
        boolean unpriced = in.readBoolean();
        return new BudgetContribution(budgetId, budgetKey, scope, period, label, zone, start, end, amount, currency, limit, thresholds,
                unpriced, in.readUTF());
    }

    private static void expect(DataInputStream in, int version, String what) throws IOException {
        int v = in.readByte();
        if (v != version) {
            throw new IOException(what + " written in layout " + v + ", this build reads layout " + version
                    + "; reset the enforcer's internal topics and state, or run the build that wrote it");
        }
    }

    private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }

    private interface Writer<T> {
        void write(DataOutputStream out, T value) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static final ThreadLocal<ByteBufferOutputStream> BUFFER = ThreadLocal.withInitial(() -> new ByteBufferOutputStream(512));

    private static <T> Serializer<T> serializer(Writer<T> w) {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            // Unsynchronized buffers, reused per thread: ByteArrayOutputStream locks on every byte written.
            ByteBufferOutputStream bytes = BUFFER.get();
            bytes.position(0);
            try {
                w.write(new DataOutputStream(bytes), value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return java.util.Arrays.copyOf(bytes.buffer().array(), bytes.position());
        };
    }

    private static <T> Deserializer<T> deserializer(Reader<T> r) {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteBufferInputStream(java.nio.ByteBuffer.wrap(bytes)))) {
                return r.read(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
