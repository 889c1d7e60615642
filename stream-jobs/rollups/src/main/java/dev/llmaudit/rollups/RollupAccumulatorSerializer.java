package dev.llmaudit.rollups;

import dev.llmaudit.jobs.ExactDecimals;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink state serializer for {@link RollupAccumulator}: every field written explicitly (money as
 * unscaled bytes + scale, so nothing is rounded), the KLL sketch as its compact bytes. Written by
 * hand rather than as a POJO because the sketch is not a Flink type, and Kryo is switched off in this
 * job ({@code pipeline.generic-types=false}). Every record starts with its layout version.
 */
public final class RollupAccumulatorSerializer extends TypeSerializerSingleton<RollupAccumulator> {
    private static final long serialVersionUID = 1L;
    public static final RollupAccumulatorSerializer INSTANCE = new RollupAccumulatorSerializer();
    /**
     * 2 added the price bases, contracted cost, bundle versions and unknown requirements; 3 the SKU meters.
     * Layouts 1 and 2 are still read (their windows' meters are unknown).
     */
    private static final int FORMAT_VERSION = 3;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public RollupAccumulator createInstance() {
        return new RollupAccumulator();
    }

    @Override
    public RollupAccumulator copy(RollupAccumulator from) {
        // Through the bytes: exact, sketch included (merging a sketch into an empty one need not be).
        try {
            org.apache.flink.core.memory.DataOutputSerializer out = new org.apache.flink.core.memory.DataOutputSerializer(512);
            serialize(from, out);
            return deserialize(new org.apache.flink.core.memory.DataInputDeserializer(out.getSharedBuffer(), 0, out.length()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public RollupAccumulator copy(RollupAccumulator from, RollupAccumulator reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(RollupAccumulator a, DataOutputView out) throws IOException {
        out.writeByte(FORMAT_VERSION);
        for (String s : new String[] {a.tenant, a.team, a.app, a.environment, a.cloud, a.region, a.provider, a.model, a.operation,
                a.currency}) {
            writeNullable(out, s);
        }
        for (long v : new long[] {a.requests, a.errors, a.unpriced, a.inputTokens, a.outputTokens, a.cachedInputTokens,
                a.reasoningTokens, a.pricedInputTokens, a.pricedOutputTokens, a.pricedCachedInputTokens, a.pricedReasoningTokens}) {
            out.writeLong(v);
        }
        ExactDecimals.write(out, a.listCost);
        out.writeBoolean(a.billedCost != null);
        if (a.billedCost != null) {
            ExactDecimals.write(out, a.billedCost);
        }
        byte[] sketch = a.latency == null ? null : a.latency.toByteArray();
        out.writeInt(sketch == null ? -1 : sketch.length);
        if (sketch != null) {
            out.write(sketch);
        }
        writeSet(out, a.priceEntries);
        writeSet(out, a.catalogVersions);
        out.writeBoolean(a.residencyRequirement != null);
        if (a.residencyRequirement != null) {
            writeSet(out, a.residencyRequirement);
        }
        writeSet(out, a.priceBases);
        ExactDecimals.write(out, a.contractedCost);
        writeSet(out, a.bundleVersions);
        out.writeBoolean(a.requirementUnknown);
        out.writeBoolean(a.metersUnknown);
        for (int i = 0; i < RollupAccumulator.METERS; i++) {
            out.writeLong(a.unpricedMeterTokens[i]);
        }
        out.writeInt(a.entryMeters.size());
        for (var e : a.entryMeters.entrySet()) {
            out.writeUTF(e.getKey());
            for (int i = 0; i < RollupAccumulator.METERS; i++) {
                out.writeLong(e.getValue().tokens[i]);
                ExactDecimals.write(out, e.getValue().list[i]);
                ExactDecimals.write(out, e.getValue().contracted[i]);
            }
        }
    }

    @Override
    public RollupAccumulator deserialize(DataInputView in) throws IOException {
        int version = in.readByte();
        if (version < 1 || version > FORMAT_VERSION) {
            throw new IOException("rollup state written in layout " + version + ", this build reads layouts 1 to " + FORMAT_VERSION
                    + "; restore with the build that wrote it or start without state");
        }
        RollupAccumulator a = new RollupAccumulator();
        a.tenant = readNullable(in);
        a.team = readNullable(in);
        a.app = readNullable(in);
        a.environment = readNullable(in);
        a.cloud = readNullable(in);
        a.region = readNullable(in);
        a.provider = readNullable(in);
        a.model = readNullable(in);
        a.operation = readNullable(in);
        a.currency = readNullable(in);
        a.requests = in.readLong();
        a.errors = in.readLong();
        a.unpriced = in.readLong();
        a.inputTokens = in.readLong();
        a.outputTokens = in.readLong();
        a.cachedInputTokens = in.readLong();
        a.reasoningTokens = in.readLong();
        a.pricedInputTokens = in.readLong();
        a.pricedOutputTokens = in.readLong();
        a.pricedCachedInputTokens = in.readLong();
        a.pricedReasoningTokens = in.readLong();
        a.listCost = ExactDecimals.read(in);
        a.billedCost = in.readBoolean() ? ExactDecimals.read(in) : null;
        int sketchLength = in.readInt();
        if (sketchLength >= 0) {
            byte[] bytes = new byte[sketchLength];
            in.readFully(bytes);
            a.latency = KllDoublesSketch.heapify(Memory.wrap(bytes));
        }
        readSet(in, a.priceEntries);
        readSet(in, a.catalogVersions);
        if (in.readBoolean()) {
            a.residencyRequirement = new TreeSet<>();
            readSet(in, a.residencyRequirement);
        }
        if (version >= 2) {
            readSet(in, a.priceBases);
            a.contractedCost = ExactDecimals.read(in);
            readSet(in, a.bundleVersions);
            a.requirementUnknown = in.readBoolean();
        } else {
            // Layout 1 had no negotiated prices: what was paid is the list cost. Its requirements were
            // decided by the job itself, from the bundle shipped with it: known.
            a.contractedCost = a.listCost;
        }
        if (version >= 3) {
            a.metersUnknown = in.readBoolean();
            for (int i = 0; i < RollupAccumulator.METERS; i++) {
                a.unpricedMeterTokens[i] = in.readLong();
            }
            int entries = in.readInt();
            for (int n = 0; n < entries; n++) {
                RollupAccumulator.EntryMeters m = a.entryMeters.computeIfAbsent(in.readUTF(), k -> new RollupAccumulator.EntryMeters());
                for (int i = 0; i < RollupAccumulator.METERS; i++) {
                    m.tokens[i] = in.readLong();
                    m.list[i] = ExactDecimals.read(in);
                    m.contracted[i] = ExactDecimals.read(in);
                }
            }
        } else {
            // Written before the job counted meters: the window's split is unknown, its totals stay exact.
            a.metersUnknown = a.requests > 0;
        }
        return a;
    }

    @Override
    public RollupAccumulator deserialize(RollupAccumulator reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<RollupAccumulator> snapshotConfiguration() {
        return new Snapshot();
    }

    private static void writeNullable(DataOutputView out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readNullable(DataInputView in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private static void writeSet(DataOutputView out, Set<String> set) throws IOException {
        out.writeInt(set.size());
        for (String s : set) {
            out.writeUTF(s);
        }
    }

    private static void readSet(DataInputView in, Set<String> into) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            into.add(in.readUTF());
        }
    }

    /**
     * Snapshot of the (stateless) serializer. Each record starts with its layout version, so a later
     * layout can still read state written by this one.
     */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<RollupAccumulator> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }

    /** Type information for {@link RollupAccumulator}, found by Flink through its {@code @TypeInfo}. */
    public static final class TypeFactory extends TypeInfoFactory<RollupAccumulator> {
        @Override
        public TypeInformation<RollupAccumulator> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new AccumulatorTypeInfo();
        }
    }

    static final class AccumulatorTypeInfo extends TypeInformation<RollupAccumulator> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean isBasicType() {
            return false;
        }

        @Override
        public boolean isTupleType() {
            return false;
        }

        @Override
        public int getArity() {
            return 1;
        }

        @Override
        public int getTotalFields() {
            return 1;
        }

        @Override
        public Class<RollupAccumulator> getTypeClass() {
            return RollupAccumulator.class;
        }

        @Override
        public boolean isKeyType() {
            return false;
        }

        @Override
        public TypeSerializer<RollupAccumulator> createSerializer(SerializerConfig config) {
            return INSTANCE;
        }

        @Override
        public String toString() {
            return "RollupAccumulator";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AccumulatorTypeInfo;
        }

        @Override
        public int hashCode() {
            return AccumulatorTypeInfo.class.hashCode();
        }

        @Override
        public boolean canEqual(Object o) {
            return o instanceof AccumulatorTypeInfo;
        }
    }
}
