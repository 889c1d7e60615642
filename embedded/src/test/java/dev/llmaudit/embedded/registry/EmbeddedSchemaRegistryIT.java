package dev.llmaudit.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.schemas.registry.CompatibilityLevel;
import dev.llmaudit.schemas.registry.CompatibilityResult;
import dev.llmaudit.schemas.registry.RegisteredSchema;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.RegistryException;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaClusterExtension.class)
class EmbeddedSchemaRegistryIT {
    static final Schema V1 = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"t\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}");
    static final Schema V2 = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"t\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                    + "{\"name\":\"total\",\"type\":\"long\",\"default\":0}]}");
    static final Schema INCOMPATIBLE = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"t\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                    + "{\"name\":\"customer\",\"type\":\"string\"}]}");

    @Test
    void registersLooksUpAndFetchesLikeConfluent(EmbeddedSchemaRegistry registry) {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String subject = "orders-" + System.nanoTime() + "-value";

        int id1 = client.register(subject, V1);
        int id2 = client.register(subject, V2);

        assertThat(id2).isNotEqualTo(id1);
        assertThat(new SchemaRegistryClient(RegistryConfig.of(registry.url())).register(subject, V1))
                .as("registering an existing schema returns its id").isEqualTo(id1);
        RegisteredSchema latest = client.latest(subject);
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(id2);
        assertThat(client.lookup(subject, V1).version()).isEqualTo(1);
        assertThat(new SchemaRegistryClient(RegistryConfig.of(registry.url())).schemaById(id2)).isEqualTo(V2);
        assertThat(client.subjects()).contains(subject);
    }

    @Test
    void incompatibleChangeIsRefusedWith409NamingTheProblem(EmbeddedSchemaRegistry registry) {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String subject = "orders-" + System.nanoTime() + "-value";
        client.register(subject, V1);

        CompatibilityResult check = client.testCompatibility(subject, INCOMPATIBLE);
        assertThat(check.compatible()).isFalse();
        assertThat(check.messages()).singleElement().asString()
                .isEqualTo("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: field \"customer\" has no default value "
                        + "and is missing in the older schema (new schema cannot read data written with version 1)");
        assertThat(client.testCompatibility(subject, V2).compatible()).isTrue();

        assertThatThrownBy(() -> client.register(subject, INCOMPATIBLE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                })
                .hasMessage("Schema being registered is incompatible with an earlier schema for subject \"" + subject
                        + "\" (compatibility BACKWARD), details: [READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: field \"customer\" "
                        + "has no default value and is missing in the older schema (new schema cannot read data written with version 1)]");
        assertThat(client.latest(subject).version()).isEqualTo(1);

        client.setCompatibility(subject, CompatibilityLevel.NONE);
        assertThat(client.register(subject, INCOMPATIBLE)).isPositive();
    }

    @Test
    void answersConfluentErrorCodes(EmbeddedSchemaRegistry registry) throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        String subject = "codes-" + System.nanoTime() + "-value";

        assertThatThrownBy(() -> client.latest(subject))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        client.register(subject, V1);
        assertThatThrownBy(() -> client.version(subject, 7))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40402));
        assertThatThrownBy(() -> client.schemaById(987654))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> client.lookup(subject, V2))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));

        HttpResponse<String> invalid = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"X\\\"}\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(invalid.body()).contains("\"error_code\":42201");

        // No subject-level compatibility yet: 40408 (unless defaultToGlobal=true asks for the global one).
        HttpResponse<String> notConfigured = get(registry.url() + "/config/" + subject);
        assertThat(notConfigured.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(notConfigured.body()).get("error_code").asInt()).isEqualTo(40408);
        assertThat(JSON.readTree(notConfigured.body()).get("message").asText())
                .isEqualTo("Subject '" + subject + "' does not have subject-level compatibility configured");
        assertThat(JSON.readTree(get(registry.url() + "/config/" + subject + "?defaultToGlobal=true").body()).get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");

        // An unknown level: 42203, naming the valid ones; nothing changes.
        HttpResponse<String> badLevel = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + "/config/" + subject))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"SIDEWAYS\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badLevel.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(badLevel.body()).get("error_code").asInt()).isEqualTo(42203);
        assertThat(JSON.readTree(badLevel.body()).get("message").asText()).startsWith("Invalid compatibility level 'SIDEWAYS'")
                .contains("FULL_TRANSITIVE");
        assertThat(get(registry.url() + "/config/" + subject).statusCode()).isEqualTo(404);
    }

    @Test
    void survivesRestartBecauseSchemasLiveInAKafkaTopic(KafkaCluster cluster) {
        String topic = cluster.uniqueTopic("_schemas-restart");
        String subject = "restart-value";
        int id;
        try (EmbeddedSchemaRegistry first = EmbeddedSchemaRegistry.start(cluster.bootstrapServers(), topic, 0, null)) {
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(first.url()));
            id = client.register(subject, V1);
            client.register(subject, V2);
            client.setCompatibility(null, CompatibilityLevel.FULL);
        }
        try (EmbeddedSchemaRegistry second = EmbeddedSchemaRegistry.start(cluster.bootstrapServers(), topic, 0, null)) {
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of(second.url()));
            assertThat(client.schemaById(id)).isEqualTo(V1);
            assertThat(client.latest(subject).version()).isEqualTo(2);
            assertThat(client.globalCompatibility()).isEqualTo(CompatibilityLevel.FULL);
            int v2Id = client.latest(subject).id();
            assertThat(client.register("other-value", V2)).as("the same schema keeps its id").isEqualTo(v2Id);
            Schema v3 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}");
            assertThat(client.register("third-value", v3)).as("new ids continue after the replayed ones").isGreaterThan(Math.max(id, v2Id));
        }
    }

    @Test
    void basicAuthIsSentByTheClientAndRequiredByTheServer(KafkaCluster cluster) {
        try (EmbeddedSchemaRegistry secured = EmbeddedSchemaRegistry.start(cluster.bootstrapServers(), cluster.uniqueTopic("_schemas-auth"), 0, "ops:s3cret")) {
            SchemaRegistryClient anonymous = new SchemaRegistryClient(RegistryConfig.of(secured.url()));
            assertThatThrownBy(() -> anonymous.register("s-value", V1))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));

            SchemaRegistryClient authed = new SchemaRegistryClient(RegistryConfig.fromMap(Map.of(
                    RegistryConfig.URL, secured.url(), RegistryConfig.BASIC_AUTH_USER_INFO, "ops:s3cret")));
            assertThat(authed.register("s-value", V1)).isPositive();
        }
    }

    @Test
    void failsOverToTheNextUrlWhenTheFirstIsDown(EmbeddedSchemaRegistry registry) {
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:1," + registry.url()));
        assertThat(client.register("failover-" + System.nanoTime() + "-value", V1)).isPositive();
    }

    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
