package dev.llmaudit.embedded.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.embedded.junit.KafkaClusterExtension;
import dev.llmaudit.embedded.kafka.KafkaCluster;
import dev.llmaudit.embedded.registry.EmbeddedSchemaRegistry;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.wire.ConfluentAvroDeserializer;
import dev.llmaudit.schemas.wire.ConfluentAvroSerde;
import dev.llmaudit.schemas.wire.ConfluentAvroSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** JSON -> Avro -> Kafka (real broker, embedded registry) -> Avro -> JSON, and the bytes in between. */
@ExtendWith(KafkaClusterExtension.class)
class ConfluentWireFormatIT {
    static final ObjectMapper JSON = new ObjectMapper();

    static String fullEvent() throws IOException {
        try (InputStream in = ConfluentWireFormatIT.class.getResourceAsStream("/full-event.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void fullEventRoundTripsThroughKafkaFieldByField(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        // configure
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 3, Map.of());
        Map<String, Object> serdeConfig = Map.of(RegistryConfig.URL, registry.url());
        String json = fullEvent();
        LlmCallEvent sent = LlmCallEventJson.parseOrThrow(json);
        LlmCallEvent minimal = LlmCallEventJson.parseOrThrow("{\"event_id\":\"min-1\",\"event_time\":\"2026-11-26T00:00:00Z\"}");

        // produce
        ConfluentAvroSerializer<LlmCallEvent> serializer = new ConfluentAvroSerializer<>();
        serializer.configure(serdeConfig, false);
        try (KafkaProducer<String, LlmCallEvent> producer = new KafkaProducer<>(producerProps(cluster), new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>(topic, sent.getEventId(), sent)).get();
            producer.send(new ProducerRecord<>(topic, minimal.getEventId(), minimal)).get();
        }

        // consume with our deserializer into the generated class
        ConfluentAvroSerde<LlmCallEvent> serde = ConfluentAvroSerde.forType(LlmCallEvent.class);
        serde.configure(serdeConfig, false);
        List<LlmCallEvent> received = new ArrayList<>();
        try (KafkaConsumer<String, LlmCallEvent> consumer = new KafkaConsumer<>(consumerProps(cluster), new StringDeserializer(), serde.deserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < 2 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(r.value()));
            }
        }

        // verify: Avro equality and the canonical JSON equal field by field
        assertThat(received).containsExactlyInAnyOrder(sent, minimal);
        LlmCallEvent back = received.stream().filter(e -> e.getEventId().equals(sent.getEventId())).findFirst().orElseThrow();
        JsonNode in = LlmCallEventJson.mapper().readTree(json);
        JsonNode out = LlmCallEventJson.mapper().readTree(LlmCallEventJson.toJson(back));
        for (String field : LlmCallEventJson.FIELDS) {
            assertThat(out.get(field)).as(field).isEqualTo(in.get(field));
        }
    }

    @Test
    void bytesAreConfluentFramedAndDecodeWithPlainAvroAndTheRegistrySchema(KafkaCluster cluster, EmbeddedSchemaRegistry registry) throws Exception {
        String topic = cluster.uniqueTopic("llm.events");
        cluster.createTopic(topic, 1, Map.of());
        LlmCallEvent sent = LlmCallEventJson.parseOrThrow(fullEvent());
        ConfluentAvroSerializer<LlmCallEvent> serializer = new ConfluentAvroSerializer<>();
        serializer.configure(Map.of(RegistryConfig.URL, registry.url()), false);
        try (KafkaProducer<String, LlmCallEvent> producer = new KafkaProducer<>(producerProps(cluster), new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>(topic, sent.getEventId(), sent)).get();
        }

        byte[] raw = null;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps(cluster), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (raw == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    raw = r.value();
                }
            }
        }
        assertThat(raw).isNotNull();

        // The registry's own REST answer says which id the subject got.
        HttpClient http = HttpClient.newHttpClient();
        JsonNode latest = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/" + topic + "-value/versions/latest")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        int assignedId = latest.get("id").asInt();
        assertThat(raw[0]).as("magic byte").isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(raw, 1, 4).getInt()).as("schema id").isEqualTo(assignedId);

        // Plain Avro, no llm-audit code: fetch the writer schema by id over REST and decode generically.
        JsonNode byId = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(registry.url() + "/schemas/ids/" + assignedId)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        Schema writer = new Schema.Parser().parse(byId.get("schema").asText());
        GenericRecord generic = new GenericDatumReader<GenericRecord>(writer)
                .read(null, DecoderFactory.get().binaryDecoder(raw, 5, raw.length - 5, null));
        assertThat(generic.get("event_id").toString()).isEqualTo(sent.getEventId());
        assertThat(generic.get("input_tokens")).isEqualTo(1840L);
        assertThat(generic.get("cloud").toString()).isEqualTo("aws");
        assertThat(((GenericRecord) generic.get("reported_cost")).get("currency").toString()).isEqualTo("USD");
    }

    @Test
    void aRecordThatFailsToEncodeLeavesNothingBehindForTheNext(EmbeddedSchemaRegistry registry) throws Exception {
        // Encoding buffers are reused per thread: a failure half-way must not leak bytes into the next record.
        ConfluentAvroSerializer<LlmCallEvent> serializer = new ConfluentAvroSerializer<>();
        serializer.configure(Map.of(RegistryConfig.URL, registry.url()), false);
        LlmCallEvent good = LlmCallEventJson.parseOrThrow(fullEvent());
        byte[] before = serializer.serialize("codec-reuse", good);
        LlmCallEvent broken = LlmCallEvent.newBuilder(good).build();
        broken.setStatus(null); // required, after 20 fields: the writer fails half-way through the record
        assertThatThrownBy(() -> serializer.serialize("codec-reuse", broken)).isInstanceOf(SerializationException.class);
        assertThat(serializer.serialize("codec-reuse", good)).isEqualTo(before);
        LlmCallEvent decoded = new ConfluentAvroDeserializer<>(LlmCallEvent.class) {
            {
                configure(Map.of(RegistryConfig.URL, registry.url()), false);
            }
        }.deserialize("codec-reuse", before);
        assertThat(decoded).isEqualTo(good);
    }

    @Test
    void nonAvroBytesFailWithAnErrorNamingTheTopicAndTheExpectedFormat(EmbeddedSchemaRegistry registry) {
        ConfluentAvroDeserializer<LlmCallEvent> deserializer = new ConfluentAvroDeserializer<>(LlmCallEvent.class);
        deserializer.configure(Map.of(RegistryConfig.URL, registry.url()), false);

        assertThatThrownBy(() -> deserializer.deserialize("llm.events", "{\"event_id\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessage("topic llm.events: unknown magic byte 0x7b: not Confluent Avro wire format "
                        + "(expected 0x00, a 4-byte schema id, then Avro binary)");
        assertThatThrownBy(() -> deserializer.deserialize("llm.events", new byte[] {0, 0, 0x7f, 0x7f, 0x7f, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Schema 8355711 not found");
    }

    static Properties producerProps(KafkaCluster cluster) {
        Properties p = cluster.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return p;
    }

    static Properties consumerProps(KafkaCluster cluster) {
        Properties p = cluster.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }
}
