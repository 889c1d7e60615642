package dev.llmaudit.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.schemas.registry.CompatibilityLevel;
import dev.llmaudit.schemas.registry.RegistryException;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class SchemaStoreTest {
    static final Schema V1 = SchemaStore.parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    static final Schema V2_WITH_DEFAULT = SchemaStore.parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}");
    static final Schema V2_NO_DEFAULT = SchemaStore.parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\"}]}");

    private static void register(SchemaStore store, String subject, Schema s) {
        store.planRegistration(subject, s).ifPresent(store::apply);
    }

    @Test
    void sameSchemaGetsSameIdAcrossSubjectsAndIsNotRegisteredTwice() {
        SchemaStore store = new SchemaStore();
        register(store, "a-value", V1);
        register(store, "b-value", V1);
        assertThat(store.planRegistration("a-value", V1)).isEmpty();
        assertThat(store.version("a-value", "latest").id()).isEqualTo(store.version("b-value", "1").id());
    }

    @Test
    void backwardAllowsAddingAFieldWithDefaultAndRefusesOneWithout() {
        SchemaStore store = new SchemaStore();
        register(store, "t-value", V1);
        register(store, "t-value", V2_WITH_DEFAULT);
        assertThat(store.version("t-value", "latest").version()).isEqualTo(2);

        SchemaStore other = new SchemaStore();
        register(other, "t-value", V1);
        assertThatThrownBy(() -> other.planRegistration("t-value", V2_NO_DEFAULT))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409))
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: field \"b\" has no default value");
    }

    @Test
    void noneAllowsAnything() {
        SchemaStore store = new SchemaStore();
        store.apply(SchemaStore.LogEntry.config("t-value", CompatibilityLevel.NONE));
        register(store, "t-value", V1);
        register(store, "t-value", V2_NO_DEFAULT);
        assertThat(store.allVersions("t-value")).hasSize(2);
    }

    @Test
    void invalidSchemaIs42201() {
        assertThatThrownBy(() -> SchemaStore.parse("{\"type\":\"record\",\"name\":\"R\"}"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42201));
    }
}
