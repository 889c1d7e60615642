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

    static Schema record(String fields) {
        return SchemaStore.parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[" + fields + "]}");
    }

    /** Whether the store at this level accepts each schema in turn after the first; registers the accepted ones. */
    static java.util.List<Boolean> accepts(CompatibilityLevel level, Schema first, Schema... next) {
        SchemaStore store = new SchemaStore();
        store.apply(SchemaStore.LogEntry.config("t-value", level));
        register(store, "t-value", first);
        java.util.List<Boolean> out = new java.util.ArrayList<>();
        for (Schema s : next) {
            try {
                register(store, "t-value", s);
                out.add(true);
            } catch (RegistryException e) {
                assertThat(e.errorCode()).isEqualTo(409);
                assertThat(e.getMessage()).contains("(compatibility " + level + ")");
                out.add(false);
            }
        }
        return out;
    }

    static final String A = "{\"name\":\"a\",\"type\":\"string\"}";
    static final String A_DEFAULT = "{\"name\":\"a\",\"type\":\"string\",\"default\":\"x\"}";
    static final String B = "{\"name\":\"b\",\"type\":\"int\"}";
    static final String B_DEFAULT = "{\"name\":\"b\",\"type\":\"int\",\"default\":0}";
    static final String Z_DEFAULT = "{\"name\":\"z\",\"type\":\"int\",\"default\":0}";

    @Test
    void forwardChecksThatOldReadersReadNewData() {
        // Adding a field without a default: old readers ignore it (FORWARD yes), new readers cannot read old data (BACKWARD no).
        assertThat(accepts(CompatibilityLevel.FORWARD, record(A), record(A + "," + B))).containsExactly(true);
        assertThat(accepts(CompatibilityLevel.BACKWARD, record(A), record(A + "," + B))).containsExactly(false);
        // Removing a field old readers need (no default there): FORWARD no, BACKWARD yes.
        assertThat(accepts(CompatibilityLevel.FORWARD, record(A + "," + B_DEFAULT), record(B_DEFAULT))).containsExactly(false);
        assertThat(accepts(CompatibilityLevel.BACKWARD, record(A + "," + B_DEFAULT), record(B_DEFAULT))).containsExactly(true);
    }

    @Test
    void fullChecksBothDirections() {
        // Adding a field with a default is the change FULL allows; each one-sided change is refused.
        assertThat(accepts(CompatibilityLevel.FULL, record(A), record(A + "," + B_DEFAULT), record(A + "," + B_DEFAULT + "," + Z_DEFAULT)))
                .containsExactly(true, true);
        assertThat(accepts(CompatibilityLevel.FULL, record(A), record(A + "," + B))).containsExactly(false);
        assertThat(accepts(CompatibilityLevel.FULL, record(A + "," + B_DEFAULT), record(B_DEFAULT))).containsExactly(false);
    }

    @Test
    void transitiveLevelsCheckEveryEarlierVersionNotOnlyTheLatest() {
        // v1 {a}, v2 {a, b=0}, v3 {a, b}: v3 reads v2's data (it has b) but not v1's (no b, no default).
        Schema[] backward = {record(A), record(A + "," + B_DEFAULT), record(A + "," + B)};
        assertThat(accepts(CompatibilityLevel.BACKWARD, backward[0], backward[1], backward[2])).containsExactly(true, true);
        assertThat(accepts(CompatibilityLevel.BACKWARD_TRANSITIVE, backward[0], backward[1], backward[2])).containsExactly(true, false);
        // v1 {a}, v2 {a="x"}, v3 {z=0}: v2 readers read v3's data (a has a default) but v1 readers do not.
        Schema[] forward = {record(A), record(A_DEFAULT), record(Z_DEFAULT)};
        assertThat(accepts(CompatibilityLevel.FORWARD, forward[0], forward[1], forward[2])).containsExactly(true, true);
        assertThat(accepts(CompatibilityLevel.FORWARD_TRANSITIVE, forward[0], forward[1], forward[2])).containsExactly(true, false);
        assertThat(accepts(CompatibilityLevel.FULL, forward[0], forward[1], forward[2])).containsExactly(true, true);
        assertThat(accepts(CompatibilityLevel.FULL_TRANSITIVE, forward[0], forward[1], forward[2])).containsExactly(true, false);
    }
}
