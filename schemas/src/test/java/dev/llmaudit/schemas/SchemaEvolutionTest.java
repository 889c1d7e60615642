package dev.llmaudit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.BudgetStatus;
import dev.llmaudit.avro.DeadLetter;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.PolicyViolation;
import dev.llmaudit.avro.UsageRollup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The build's schema-evolution gate: every current schema must be BACKWARD compatible with every
 * released version kept in {@code schemas/released/<Name>/v<N>.avsc} (consumers upgraded first can
 * still read what old producers wrote). When you release a schema change, add its file as the next
 * version; never edit a released file.
 */
class SchemaEvolutionTest {
    static final Path RELEASED = Path.of("released");

    static Stream<Schema> currentSchemas() {
        return Stream.of(LlmCallEvent.getClassSchema(), PolicyViolation.getClassSchema(), BudgetStatus.getClassSchema(),
                UsageRollup.getClassSchema(), DeadLetter.getClassSchema(), dev.llmaudit.avro.PricedLlmCall.getClassSchema());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("currentSchemas")
    void currentSchemaReadsEveryReleasedVersion(Schema current) throws IOException {
        List<Path> released = releasedVersions(current.getName());
        assertThat(released).as("released versions of " + current.getName() + " in " + RELEASED.toAbsolutePath()).isNotEmpty();

        for (Path file : released) {
            Schema old = new Schema.Parser().parse(file.toFile());
            SchemaCompatibility.SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
            assertThat(result.getResult().getIncompatibilities())
                    .as("%s is not BACKWARD compatible with %s", current.getFullName(), file)
                    .isEmpty();
        }
    }

    static List<Path> releasedVersions(String name) throws IOException {
        Path dir = RELEASED.resolve(name);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("v\\d+\\.avsc")).sorted().collect(Collectors.toList());
        }
    }
}
