package dev.llmaudit.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;

/**
 * Client for the Confluent Schema Registry REST API subset llm-audit needs: register, look up,
 * fetch by id, latest version, compatibility check and compatibility config. Works against
 * Confluent Schema Registry, Apicurio's ccompat API, Karapace, Redpanda and llm-audit's embedded
 * registry. Thread-safe; schema ids and schemas are cached (they are immutable in the registry),
 * "latest" and compatibility answers are not.
 */
public final class SchemaRegistryClient {
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public SchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(config.timeout());
        if (config.trustStore() != null) {
            builder.sslContext(sslContext(config));
        }
        this.http = builder.build();
        if (config.basicAuthUserInfo() != null) {
            authorization = "Basic " + Base64.getEncoder().encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
        } else if (config.bearerToken() != null) {
            authorization = "Bearer " + config.bearerToken();
        } else {
            authorization = null;
        }
    }

    public RegistryConfig config() {
        return config;
    }

    /** Registers the schema under the subject (or finds it if already there) and returns its global id. */
    public int register(String subject, Schema schema) {
        String key = subject + '\u0000' + schema.toString();
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema));
        int id = answer.path("id").asInt();
        idsBySubjectAndSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /** Finds the version of the subject holding exactly this schema; 40401 / 40403 if none. */
    public RegisteredSchema lookup(String subject, Schema schema) {
        JsonNode answer = call("POST", "/subjects/" + enc(subject), schemaBody(schema));
        RegisteredSchema found = registered(answer, subject);
        idsBySubjectAndSchema.put(subject + '\u0000' + schema.toString(), found.id());
        return found;
    }

    /** The id under which the schema is registered for the subject, looked up (not registered) on a cache miss. */
    public int idOf(String subject, Schema schema) {
        Integer cached = idsBySubjectAndSchema.get(subject + '\u0000' + schema.toString());
        return cached != null ? cached : lookup(subject, schema).id();
    }

    /** The schema with this global id; 40403 if none. Cached forever (ids are immutable). */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(answer.path("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    /** The newest version of the subject; 40401 if the subject does not exist. */
    public RegisteredSchema latest(String subject) {
        return registered(call("GET", "/subjects/" + enc(subject) + "/versions/latest", null), subject);
    }

    /** One version of the subject; 40401 / 40402 if absent. */
    public RegisteredSchema version(String subject, int version) {
        return registered(call("GET", "/subjects/" + enc(subject) + "/versions/" + version, null), subject);
    }

    /** All subjects. */
    public List<String> subjects() {
        List<String> out = new ArrayList<>();
        call("GET", "/subjects", null).forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Whether the schema could be registered as the subject's next version, with the registry's reasons if not. */
    public CompatibilityResult testCompatibility(String subject, Schema schema) {
        JsonNode answer = call("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest?verbose=true", schemaBody(schema));
        List<String> messages = new ArrayList<>();
        answer.path("messages").forEach(m -> messages.add(m.asText()));
        return new CompatibilityResult(answer.path("is_compatible").asBoolean(), messages);
    }

    /** Global compatibility level. */
    public CompatibilityLevel globalCompatibility() {
        return CompatibilityLevel.valueOf(call("GET", "/config", null).path("compatibilityLevel").asText());
    }

    /** Sets the compatibility level of one subject, or the global one when subject is null. */
    public void setCompatibility(String subject, CompatibilityLevel level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
        call("PUT", subject == null ? "/config" : "/config/" + enc(subject), body.toString());
    }

    private RegisteredSchema registered(JsonNode answer, String subject) {
        Schema schema = parse(answer.path("schema").asText());
        int id = answer.path("id").asInt();
        schemasById.putIfAbsent(id, schema);
        return new RegisteredSchema(answer.path("subject").asText(subject), id, answer.path("version").asInt(), schema);
    }

    private static Schema parse(String text) {
        return new Schema.Parser().parse(text);
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).put("schemaType", "AVRO").toString();
    }

    private static String enc(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode call(String method, String path, String body) {
        IOException last = null;
        for (URI base : config.urls()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(config.timeout())
                    .header("Accept", CONTENT_TYPE + ", application/json");
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                last = e; // try the next URL
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(0, RegistryException.UNREACHABLE, "interrupted while calling the schema registry", e);
            }
            return answer(method, base + path, response);
        }
        throw new RegistryException(0, RegistryException.UNREACHABLE,
                "schema registry unreachable at " + config.urls() + ": " + (last == null ? "" : last) + " (check schema.registry.url)", last);
    }

    private static JsonNode answer(String method, String url, HttpResponse<String> response) {
        JsonNode json;
        try {
            json = response.body() == null || response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            json = null;
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300 && json != null) {
            return json;
        }
        if (json != null && json.has("error_code")) {
            throw new RegistryException(status, json.path("error_code").asInt(), json.path("message").asText());
        }
        String hint = status == 401 || status == 403 ? " (check basic.auth.user.info / bearer.auth.token)" : "";
        throw new RegistryException(status, status, method + " " + url + " answered HTTP " + status + hint + ": "
                + abbreviate(response.body()));
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static SSLContext sslContext(RegistryConfig config) {
        try (InputStream in = Files.newInputStream(config.trustStore())) {
            KeyStore store = KeyStore.getInstance(config.trustStoreType());
            store.load(in, config.trustStorePassword() == null ? null : config.trustStorePassword().toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load " + RegistryConfig.TRUSTSTORE_LOCATION + " " + config.trustStore() + ": " + e.getMessage(), e);
        }
    }
}
