package dev.llmaudit.policy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/** The engine stays pure so the Kafka Streams enforcer and the Flink job can both embed it. */
class ArchitectureTest {
    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.llmaudit.policy");

    static final String[] ENGINE = {"dev.llmaudit.policy.model..", "dev.llmaudit.policy.catalog..",
            "dev.llmaudit.policy.rules..", "dev.llmaudit.policy.engine.."};

    @Test
    void engineImportsNoStreamEngineSerializationOrConfigLibrary() {
        ArchRule rule = noClasses().that().resideInAnyPackage(ENGINE)
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.kafka..", "org.apache.flink..", "org.apache.avro..", "dev.llmaudit.avro..",
                        "dev.llmaudit.schemas..", "com.fasterxml.jackson..", "org.yaml..", "dev.cel..",
                        "dev.llmaudit.policy.load..", "dev.llmaudit.policy.tools..", "dev.llmaudit.policy.avro..",
                        "dev.llmaudit.policy.litellm..")
                .because("the policy engine must stay a pure library (java.* and its own packages): put Avro/Kafka/Flink "
                        + "adapters in dev.llmaudit.policy.avro or in the job modules, YAML and CEL in dev.llmaudit.policy.load");
        rule.check(CLASSES);
    }

    @Test
    void nothingHereImportsKafkaOrFlink() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "org.apache.flink..")
                .because("policies are evaluated by both stream jobs; stream-engine code belongs in stream-jobs/enforcer and stream-jobs/rollups")
                .check(CLASSES);
    }
}
