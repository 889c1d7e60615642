package dev.llmaudit.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.schemas.EventBounds;
import dev.llmaudit.schemas.json.EventParseResult;
import dev.llmaudit.schemas.json.LlmCallEventJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The LiteLLM StandardLoggingPayload mapping of ingest/README.md, row by row, through the canonical validation. */
class LiteLlmPayloadTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final EventBounds.TimeWindow WINDOW = new EventBounds.TimeWindow(Instant.parse("2026-12-01T12:00:00Z"),
            EventBounds.DEFAULT_FUTURE_SKEW, Duration.ofDays(3650));

    static String hmac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec("gw-key".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode payload(String extra) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"id":"ll-7","call_type":"acompletion","status":"success","prompt_tokens":100,"completion_tokens":20,
                 "startTime":1795687200.0,"endTime":1795687201.0%s}""".formatted(extra));
    }

    static LlmCallEvent map(ObjectNode payload) {
        JsonNode canonical = LiteLlmPayload.toCanonical(payload, LiteLlmPayloadTest::hmac);
        ((ObjectNode) canonical).put("tenant", "acme");
        EventParseResult r = LlmCallEventJson.fromNode(canonical, WINDOW);
        assertThat(r.errors()).as(canonical.toString()).isEmpty();
        return r.event();
    }

    static Stream<Arguments> routes() {
        return Stream.of(
                // model, api_base, cloud, provider, region, scope, request_model
                Arguments.of("azure/gpt-5.5", "https://acme-swe.openai.azure.com/", "azure", "azure.ai.openai", null, null, "gpt-5.5"),
                Arguments.of("azure/eu/gpt-5.5", "https://acme-swe.openai.azure.com/", "azure", "azure.ai.openai", null, "data_zone", "gpt-5.5"),
                Arguments.of("azure/us/gpt-5.1", null, "azure", "azure.ai.openai", null, "data_zone", "gpt-5.1"),
                Arguments.of("azure/global/gpt-5.5", null, "azure", "azure.ai.openai", null, "global", "gpt-5.5"),
                Arguments.of("azure_ai/mistral-large", null, "azure", "azure.ai.inference", null, null, "mistral-large"),
                Arguments.of("bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "https://bedrock-runtime.eu-central-1.amazonaws.com",
                        "aws", "aws.bedrock", "eu-central-1", "data_zone", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                Arguments.of("bedrock/converse/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "https://bedrock-runtime.us-east-1.amazonaws.com",
                        "aws", "aws.bedrock", "us-east-1", "global", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                Arguments.of("bedrock/openai.gpt-oss-120b-1:0", "https://bedrock-runtime-fips.us-east-2.amazonaws.com", "aws", "aws.bedrock",
                        "us-east-2", null, "openai.gpt-oss-120b-1:0"),
                Arguments.of("vertex_ai/claude-sonnet-4-5", "https://europe-west1-aiplatform.googleapis.com/v1/projects/p", "gcp", "gcp.vertex_ai",
                        "europe-west1", null, "claude-sonnet-4-5"),
                Arguments.of("vertex_ai/gemini-2.5-flash", "https://aiplatform.googleapis.com/v1/projects/p", "gcp", "gcp.vertex_ai", "global", null,
                        "gemini-2.5-flash"),
                Arguments.of("gemini/gemini-2.5-flash", null, "gcp", "gcp.gemini", null, null, "gemini-2.5-flash"),
                Arguments.of("anthropic/claude-sonnet-4-5", "https://api.anthropic.com", "anthropic", "anthropic", null, null, "claude-sonnet-4-5"),
                Arguments.of("openai/gpt-5.5", "https://eu.api.openai.com/v1", "openai", "openai", "eu", null, "gpt-5.5"),
                Arguments.of("gpt-5.5", null, "openai", "openai", null, null, "gpt-5.5"),
                Arguments.of("groq/llama-3.3-70b", null, "other", "groq", null, null, "groq/llama-3.3-70b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void theModelNameAndApiBaseGiveCloudProviderRegionScopeAndModel(String model, String apiBase, String cloud, String provider,
                                                                    String region, String scope, String requestModel) throws Exception {
        LlmCallEvent e = map(payload(",\"model\":\"" + model + "\"" + (apiBase == null ? "" : ",\"api_base\":\"" + apiBase + "\"")));
        assertThat(e.getCloud()).hasToString(cloud);
        assertThat(e.getProvider()).isEqualTo(provider);
        assertThat(e.getRegion()).isEqualTo(region);
        assertThat(e.getDeploymentScope() == null ? null : e.getDeploymentScope().toString()).isEqualTo(scope);
        assertThat(e.getRequestModel()).isEqualTo(requestModel);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"completion, chat", "acompletion, chat", "anthropic_messages, chat", "embedding, embeddings", "aembedding, embeddings",
            "text_completion, text_completion", "atext_completion, text_completion", "responses, responses", "aresponses, responses",
            "generate_content, generate_content", "image_generation, other", "atranscription, other"})
    void callTypesBecomeOperations(String callType, String operation) throws Exception {
        ObjectNode p = payload(",\"model\":\"openai/gpt-5.5\"");
        p.put("call_type", callType);
        assertThat(map(p).getOperation()).hasToString(operation);
    }

    @Test
    void spendLogsMetadataAndTeamIdsFillTheDimensionsAndRequesterMetadataWinsAndOverridesTheRoute() throws Exception {
        LlmCallEvent fromSpendLogs = map(payload("""
                ,"model":"azure/gpt-5.5","metadata":{"user_api_key_team_id":"team-7f3a","user_api_key_alias":"claims-bot",
                  "spend_logs_metadata":{"app":"triage","environment":"prod","data_classification":"pii","data_residency":"eu"}}"""));
        assertThat(fromSpendLogs.getTeam()).as("no alias: the team id").isEqualTo("team-7f3a");
        assertThat(fromSpendLogs.getApp()).isEqualTo("triage");
        assertThat(fromSpendLogs.getEnvironment()).isEqualTo("prod");
        assertThat(fromSpendLogs.getDataClassification()).isEqualTo("pii");
        assertThat(fromSpendLogs.getDataResidency()).isEqualTo("eu");

        LlmCallEvent overridden = map(payload("""
                ,"model":"azure/gpt-5.5","metadata":{"user_api_key_team_alias":"claims","user_api_key_team_id":"team-7f3a",
                  "requester_metadata":{"team":"search","region":"swedencentral","deployment_scope":"regional"},
                  "spend_logs_metadata":{"team":"ignored","region":"westeurope"}}"""));
        assertThat(overridden.getTeam()).isEqualTo("search");
        assertThat(overridden.getRegion()).as("Azure's region is not in LiteLLM's payload: the caller says it").isEqualTo("swedencentral");
        assertThat(overridden.getDeploymentScope()).hasToString("regional");
    }

    @Test
    void failuresCarryTheErrorClassAndAnHttpStatusWhenTheCodeIsOne() throws Exception {
        LlmCallEvent throttled = map(payload("""
                ,"model":"bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0","status":"failure",
                 "error_information":{"error_class":"RateLimitError","error_code":"429","error_message":"Too many tokens"}"""));
        assertThat(throttled.getStatus()).hasToString("error");
        assertThat(throttled.getErrorType()).isEqualTo("RateLimitError");
        assertThat(throttled.getHttpStatus()).isEqualTo(429);

        LlmCallEvent timeout = map(payload("""
                ,"model":"openai/gpt-5.5","status":"failure","error_information":{"error_code":"timeout"}"""));
        assertThat(timeout.getErrorType()).isEqualTo("timeout");
        assertThat(timeout.getHttpStatus()).as("not an HTTP status").isNull();
        assertThat(map(payload(",\"model\":\"openai/gpt-5.5\"")).getStatus()).hasToString("ok");
    }

    @Test
    void userPromptAndResponseAreOnlyHashedWithTheGatewaysKey() throws Exception {
        ObjectNode p = payload("""
                ,"model":"openai/gpt-5.5","end_user":"alice@example.com",
                 "messages":[{"role":"system","content":"be brief"},{"role":"user","content":"my salary is 90k"}],
                 "response":{"choices":[{"message":{"role":"assistant","content":"noted"}}]}""");
        LlmCallEvent e = map(p);
        assertThat(e.getUserHash()).isEqualTo(hmac("alice@example.com"));
        assertThat(e.getPromptHash()).isEqualTo(hmac("[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"my salary is 90k\"}]"));
        assertThat(e.getResponseHash()).isEqualTo(hmac("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"noted\"}}]}"));
        assertThat(e.toString()).doesNotContain("alice").doesNotContain("salary").doesNotContain("noted");

        // Without a key: nothing, not even the hash.
        JsonNode unkeyed = LiteLlmPayload.toCanonical(p, text -> null);
        assertThat(unkeyed.has("user_hash") || unkeyed.has("prompt_hash") || unkeyed.has("response_hash")).isFalse();
        assertThat(unkeyed.toString()).doesNotContain("alice").doesNotContain("salary");
    }
}
