package dev.llmaudit.cli.focus;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/** Writes FOCUS rows as one file: snappy Parquet (typed, decimals exact) or gzip CSV (RFC 4180, header row). */
public final class FocusFiles {
    /** Decimal columns: 38 digits, 12 after the point (the contract's money scale), as a 16-byte fixed-length integer. */
    static final int PRECISION = 38;
    static final int SCALE = 12;
    private static final int DECIMAL_BYTES = 16;

    public enum Format {
        PARQUET(".snappy.parquet", "application/vnd.apache.parquet"),
        CSV(".csv.gz", "application/gzip");

        public final String suffix;
        public final String contentType;

        Format(String suffix, String contentType) {
            this.suffix = suffix;
            this.contentType = contentType;
        }
    }

    static final MessageType SCHEMA = schema();

    private FocusFiles() {}

    public static byte[] write(List<Object[]> rows, Format format, Path scratch) throws IOException {
        return format == Format.PARQUET ? parquet(rows, scratch) : csvGz(rows);
    }

    private static MessageType schema() {
        Types.MessageTypeBuilder b = Types.buildMessage();
        for (FocusColumn c : FocusColumn.values()) {
            switch (c.type()) {
                case STRING, JSON -> b.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(c.name());
                case DECIMAL -> b.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(DECIMAL_BYTES)
                        .as(LogicalTypeAnnotation.decimalType(SCALE, PRECISION)).named(c.name());
                case INTEGER -> b.optional(PrimitiveTypeName.INT64).named(c.name());
                case BOOLEAN -> b.optional(PrimitiveTypeName.BOOLEAN).named(c.name());
                case TIMESTAMP -> b.optional(PrimitiveTypeName.INT64)
                        .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS)).named(c.name());
            }
        }
        return b.named("focus");
    }

    private static byte[] parquet(List<Object[]> rows, Path scratch) throws IOException {
        // parquet-java writes to an OutputFile; a local scratch file, read back whole (a day's file is small).
        Path file = Files.createTempFile(scratch, "focus-", ".parquet");
        Files.delete(file);
        try {
            SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
            FocusColumn[] columns = FocusColumn.values();
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file)).withConf(new PlainParquetConfiguration())
                    .withType(SCHEMA).withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
                for (Object[] row : rows) {
                    Group g = groups.newGroup();
                    for (FocusColumn c : columns) {
                        Object v = row[c.ordinal()];
                        if (v == null) {
                            continue;
                        }
                        switch (c.type()) {
                            case STRING, JSON -> g.append(c.name(), (String) v);
                            case DECIMAL -> g.append(c.name(), Binary.fromConstantByteArray(fixed((BigDecimal) v, c)));
                            case INTEGER -> g.append(c.name(), (Long) v);
                            case BOOLEAN -> g.append(c.name(), (Boolean) v);
                            case TIMESTAMP -> g.append(c.name(), ChronoUnit.MICROS.between(Instant.EPOCH, (Instant) v));
                        }
                    }
                    w.write(g);
                }
            }
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The decimal at scale 12 as a 16-byte two's-complement big-endian integer; a value that needs rounding is refused. */
    static byte[] fixed(BigDecimal v, FocusColumn c) {
        BigDecimal scaled;
        try {
            scaled = v.setScale(SCALE, RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(c + " " + v.toPlainString() + " has more than " + SCALE + " decimal places");
        }
        if (scaled.precision() > PRECISION) {
            throw new IllegalArgumentException(c + " " + v.toPlainString() + " has more than " + PRECISION + " digits");
        }
        byte[] unscaled = scaled.unscaledValue().toByteArray();
        byte[] out = new byte[DECIMAL_BYTES];
        Arrays.fill(out, (byte) (unscaled[0] < 0 ? -1 : 0));
        System.arraycopy(unscaled, 0, out, DECIMAL_BYTES - unscaled.length, unscaled.length);
        return out;
    }

    /**
     * Text from events (tenant, team, app, model, tags) that a spreadsheet would run as a formula gets a leading
     * apostrophe (OWASP's advice for CSV injection): finance opens these files. Parquet keeps the text as it is.
     */
    static String spreadsheetSafe(String v) {
        return !v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
    }

    private static byte[] csvGz(List<Object[]> rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FocusColumn[] columns = FocusColumn.values();
        String[] header = Arrays.stream(columns).map(Enum::name).toArray(String[]::new);
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(bytes), StandardCharsets.UTF_8);
             CSVPrinter csv = CSVFormat.RFC4180.builder().setHeader(header).get().print(w)) {
            for (Object[] row : rows) {
                Object[] text = new Object[columns.length];
                for (FocusColumn c : columns) {
                    Object v = row[c.ordinal()];
                    // Null stays an empty field (FOCUS forbids empty strings as values, so empty means null here).
                    text[c.ordinal()] = v == null ? null
                            : v instanceof BigDecimal d ? d.toPlainString()
                            : v instanceof Instant t ? DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS))
                            : v instanceof String str ? spreadsheetSafe(str)
                            : v.toString();
                }
                csv.printRecord(text);
            }
        }
        return bytes.toByteArray();
    }
}
