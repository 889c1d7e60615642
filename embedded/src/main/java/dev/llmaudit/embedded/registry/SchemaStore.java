package dev.llmaudit.embedded.registry;

import dev.llmaudit.schemas.registry.CompatibilityLevel;
import dev.llmaudit.schemas.registry.RegistryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * The registry's state and rules, without I/O: subjects and their versions, global schema ids,
 * compatibility levels, and Confluent's compatibility semantics checked with Avro's own
 * {@link SchemaCompatibility}. Not thread-safe; {@link EmbeddedSchemaRegistry} serializes access.
 *
 * <p>Mutations are expressed as {@link LogEntry} values so the same code path applies a fresh
 * change and replays the Kafka log on start-up.
 */
final class SchemaStore {
    /** One durable change: a new subject version, or a compatibility level (subject null = global). */
    record LogEntry(String kind, String subject, int version, int id, String schema, String compatibility) {
        static LogEntry schema(String subject, int version, int id, String schema) {
            return new LogEntry("SCHEMA", subject, version, id, schema, null);
        }

        static LogEntry config(String subject, CompatibilityLevel level) {
            return new LogEntry("CONFIG", subject, 0, 0, null, level.name());
        }

        /** Compaction key: the latest entry per key is what survives. */
        String key() {
            return kind.equals("SCHEMA") ? "SCHEMA/" + subject + "/" + version : "CONFIG/" + (subject == null ? "" : subject);
        }
    }

    record Version(String subject, int version, int id, String schema) {}

    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<String, List<Version>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;
    private int maxId;

    void apply(LogEntry e) {
        if (e.kind().equals("SCHEMA")) {
            schemasById.put(e.id(), e.schema());
            idsBySchema.putIfAbsent(e.schema(), e.id());
            maxId = Math.max(maxId, e.id());
            List<Version> versions = subjects.computeIfAbsent(e.subject(), s -> new ArrayList<>());
            versions.removeIf(v -> v.version() == e.version());
            versions.add(new Version(e.subject(), e.version(), e.id(), e.schema()));
            versions.sort((a, b) -> Integer.compare(a.version(), b.version()));
        } else {
            CompatibilityLevel level = CompatibilityLevel.valueOf(e.compatibility());
            if (e.subject() == null) {
                globalLevel = level;
            } else {
                subjectLevels.put(e.subject(), level);
            }
        }
    }

    /** Parses and normalizes a schema, or fails with Confluent's 42201. */
    static Schema parse(String text) {
        if (text == null || text.isBlank()) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "Invalid schema: empty schema");
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException | NullPointerException e) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "Invalid schema " + abbreviate(text) + ": " + e.getMessage());
        }
    }

    /** The existing version of the subject with exactly this schema, if any. */
    Optional<Version> find(String subject, Schema schema) {
        String text = schema.toString();
        return subjects.getOrDefault(subject, List.of()).stream().filter(v -> v.schema().equals(text)).findFirst();
    }

    /**
     * The entry that registering this schema would write, or empty if it is already registered.
     * Fails with 409 when the subject's compatibility level forbids it.
     */
    Optional<LogEntry> planRegistration(String subject, Schema schema) {
        if (find(subject, schema).isPresent()) {
            return Optional.empty();
        }
        List<String> problems = incompatibilities(subject, schema, allVersions(subject));
        if (!problems.isEmpty()) {
            throw new RegistryException(409, RegistryException.INCOMPATIBLE_SCHEMA,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                            + "\" (compatibility " + level(subject) + "), details: " + problems);
        }
        String text = schema.toString();
        int id = idsBySchema.getOrDefault(text, maxId + 1);
        List<Version> versions = subjects.getOrDefault(subject, List.of());
        int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
        return Optional.of(LogEntry.schema(subject, version, id, text));
    }

    /** Compatibility problems of the schema against the given registered versions under the subject's level. */
    List<String> incompatibilities(String subject, Schema candidate, List<Version> against) {
        CompatibilityLevel level = level(subject);
        if (level == CompatibilityLevel.NONE || against.isEmpty()) {
            return List.of();
        }
        List<Version> checked = level.transitive() ? against : List.of(against.get(against.size() - 1));
        List<String> problems = new ArrayList<>();
        for (Version old : checked) {
            Schema oldSchema = new Schema.Parser().parse(old.schema());
            if (level.checksBackward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, oldSchema), "new schema cannot read data written with", old, problems);
            }
            if (level.checksForward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(oldSchema, candidate), "data written with the new schema cannot be read by", old, problems);
            }
        }
        return problems;
    }

    private static void describe(SchemaCompatibility.SchemaPairCompatibility pair, String relation, Version old, List<String> out) {
        for (SchemaCompatibility.Incompatibility i : pair.getResult().getIncompatibilities()) {
            String what = switch (i.getType()) {
                case READER_FIELD_MISSING_DEFAULT_VALUE -> "field \"" + i.getMessage() + "\" has no default value and is missing in the older schema";
                case MISSING_ENUM_SYMBOLS -> "enum lacks symbols " + i.getMessage();
                case MISSING_UNION_BRANCH -> "union lacks a branch: " + i.getMessage();
                case NAME_MISMATCH -> "name mismatch: " + i.getMessage();
                case TYPE_MISMATCH -> "type mismatch: " + i.getMessage();
                default -> i.getMessage();
            };
            out.add(i.getType() + " at " + i.getLocation() + ": " + what + " (" + relation + " version " + old.version() + ")");
        }
    }

    List<Version> allVersions(String subject) {
        return List.copyOf(subjects.getOrDefault(subject, List.of()));
    }

    Version version(String subject, String version) {
        List<Version> versions = subjects.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw subjectNotFound(subject);
        }
        if (version.equals("latest") || version.equals("-1")) {
            return versions.get(versions.size() - 1);
        }
        int v;
        try {
            v = Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw new RegistryException(422, 42202, "The specified version '" + version + "' is not a valid version id. "
                    + "Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
        return versions.stream().filter(x -> x.version() == v).findFirst()
                .orElseThrow(() -> new RegistryException(404, RegistryException.VERSION_NOT_FOUND, "Version " + v + " not found."));
    }

    String schemaById(int id) {
        String s = schemasById.get(id);
        if (s == null) {
            throw new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return s;
    }

    List<String> subjectNames() {
        return List.copyOf(subjects.keySet());
    }

    boolean hasSubject(String subject) {
        return subjects.containsKey(subject);
    }

    CompatibilityLevel level(String subject) {
        return subject == null ? globalLevel : subjectLevels.getOrDefault(subject, globalLevel);
    }

    Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    static RegistryException subjectNotFound(String subject) {
        return new RegistryException(404, RegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
