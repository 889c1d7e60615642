package dev.llmaudit.schemas.wire;

import dev.llmaudit.schemas.AvroTrust;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes and decodes the Confluent wire format: byte 0x00, the schema's registry id as a 4-byte
 * big-endian int, then the Avro binary encoding. Independent of Kafka's serializer interfaces so
 * the Kafka serdes and Flink schemas share it.
 *
 * <p>Decoding resolves the writer's schema by id from the registry and reads it into
 * {@code targetType}'s schema (Avro schema resolution), or into a {@code GenericRecord} with the
 * writer's schema when no target type is given. Thread-safe.
 *
 * @param <T> a generated {@link SpecificRecord} class, or {@link GenericContainer} for generic records
 */
public final class ConfluentAvroCodec<T> {
    public static final byte MAGIC_BYTE = 0x0;
    public static final int HEADER_SIZE = 5;

    private final SchemaRegistryClient registry;
    private final Class<T> targetType;
    private final boolean autoRegister;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {}

    /**
     * @param registry where schemas are registered and looked up
     * @param targetType generated class to decode into, or null to decode generic records
     * @param autoRegister register the record's schema on first write (else it must already be registered)
     */
    public ConfluentAvroCodec(SchemaRegistryClient registry, Class<T> targetType, boolean autoRegister) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.targetType = targetType;
        this.autoRegister = autoRegister;
        // Writing resolves specific classes by name too (SpecificData.getForSchema), not only reading.
        AvroTrust.trustGeneratedClasses();
    }

    public SchemaRegistryClient registry() {
        return registry;
    }

    /** Topic-name subject strategy: {@code <topic>-value} or {@code <topic>-key}. */
    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    /** Encodes the record under the subject. Null stays null (a Kafka tombstone). */
    public byte[] encode(String subject, T record) {
        if (record == null) {
            return null;
        }
        if (!(record instanceof GenericContainer)) {
            throw new WireFormatException("cannot encode " + record.getClass().getName() + ": not an Avro record");
        }
        Schema schema = ((GenericContainer) record).getSchema();
        int id = ids.computeIfAbsent(new SubjectSchema(subject, schema),
                k -> autoRegister ? registry.register(subject, schema) : registry.idOf(subject, schema));
        DatumWriter<Object> writer = writers.computeIfAbsent(schema, ConfluentAvroCodec::writerFor);
        Scratch scratch = SCRATCH.get();
        Scratch.Bytes out = scratch.out;
        out.reset();
        out.write(MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        // A buffered encoder over an unsynchronized buffer, both reused per thread: the direct encoder
        // wrote every byte through ByteArrayOutputStream's synchronized write.
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, scratch.encoder);
        scratch.encoder = encoder;
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
            // The encoder may hold bytes of the failed record, which it would flush on its next use.
            scratch.encoder = null;
            throw new WireFormatException("cannot encode " + schema.getFullName() + " for subject " + subject + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Per-thread encoding buffers (a serializer runs on one thread at a time; encoding does not nest). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final Bytes out = new Bytes();
        BinaryEncoder encoder;

        /** A growable byte buffer without ByteArrayOutputStream's locking. */
        static final class Bytes extends java.io.OutputStream {
            private byte[] buf = new byte[1024];
            private int size;

            void reset() {
                size = 0;
                if (buf.length > 1 << 20) {
                    buf = new byte[1024]; // do not keep one huge record's buffer forever
                }
            }

            @Override
            public void write(int b) {
                ensure(1);
                buf[size++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                ensure(len);
                System.arraycopy(b, off, buf, size, len);
                size += len;
            }

            private void ensure(int more) {
                if (size + more > buf.length) {
                    buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
                }
            }

            byte[] toByteArray() {
                return java.util.Arrays.copyOf(buf, size);
            }
        }
    }

    /** The schema id in the header, after checking the magic byte. */
    public static int schemaId(byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new WireFormatException("record of " + data.length + " bytes is too short for the Confluent wire format "
                    + "(expected byte 0x00, a 4-byte schema id, then Avro binary)");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new WireFormatException(String.format("unknown magic byte 0x%02x: not Confluent Avro wire format "
                    + "(expected 0x00, a 4-byte schema id, then Avro binary)", data[0] & 0xff));
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    /** Decodes one record. Null stays null. */
    @SuppressWarnings("unchecked")
    public T decode(byte[] data) {
        if (data == null) {
            return null;
        }
        int id = schemaId(data);
        DatumReader<Object> reader = readers.computeIfAbsent(id, this::readerFor);
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER_SIZE, data.length - HEADER_SIZE, null);
        try {
            Object value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new WireFormatException("trailing bytes after Avro record with schema id " + id);
            }
            return (T) value;
        } catch (IOException | AvroRuntimeException | ArrayIndexOutOfBoundsException | ClassCastException | IllegalArgumentException e) {
            throw new WireFormatException("cannot decode Avro record with schema id " + id + ": " + e, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(Schema schema) {
        SpecificData model = SpecificData.getForSchema(schema);
        return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(schema, model);
    }

    @SuppressWarnings("unchecked")
    private DatumReader<Object> readerFor(int id) {
        Schema writerSchema = registry.schemaById(id);
        if (targetType != null && SpecificRecord.class.isAssignableFrom(targetType)) {
            Schema readerSchema = SpecificData.get().getSchema(targetType);
            return (DatumReader<Object>) (DatumReader<?>) new SpecificDatumReader<>(writerSchema, readerSchema, SpecificData.getForClass(targetType));
        }
        GenericData generic = new GenericData();
        generic.addLogicalTypeConversion(new org.apache.avro.Conversions.DecimalConversion());
        generic.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMicrosConversion());
        generic.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMillisConversion());
        return (DatumReader<Object>) (DatumReader<?>) new GenericDatumReader<>(writerSchema, writerSchema, generic);
    }
}
