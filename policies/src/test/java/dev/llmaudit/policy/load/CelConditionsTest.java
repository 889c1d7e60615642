package dev.llmaudit.policy.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** What a policy author may write in a custom condition, and what each gives for two calls. */
class CelConditionsTest {
    static final LlmCall TAGGED = LlmCall.builder("e-1", Instant.parse("2026-11-02T10:00:00Z")).tenant("acme-eu").team("search")
            .cloud("aws").region("eu-central-1").requestModel("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
            .scope(Scope.GLOBAL).dataClassification("pii").inputTokens(12_000L).outputTokens(800L)
            .tags(Map.of("cost_center", "CC-7", "purpose", "support")).build();
    static final LlmCall BARE = LlmCall.builder("e-2", Instant.parse("2026-11-02T10:00:00Z")).cloud("openai")
            .requestModel("gpt-5.5").inputTokens(10L).build();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
            "'cost_center' in event.tags                                     ; true ; false",
            "!('cost_center' in event.tags)                                  ; false; true",
            "event.tags.purpose == 'support'                                 ; true ; false",
            "has(event.team) && event.team == 'search'                       ; true ; false",
            "event.team == 'search'                                          ; true ; false",
            "event.input_tokens > 10000                                      ; true ; false",
            "event.input_tokens + event.output_tokens >= 12800               ; true ; false",
            "has(event.output_tokens)                                        ; true ; false",
            "event.tenant.startsWith('acme') && event.cloud in ['aws', 'gcp']; true ; false",
            "event.request_model.matches('^global[.]')                       ; true ; false",
            "event.deployment_scope == 'global'                              ; true ; false",
            "event.cloud == 'openai' || event.data_classification == 'pii'   ; true ; true",
            "event.status == 'ok'                                            ; true ; true",
            "event.exists(k, k == 'team')                                    ; true ; false",
            "size(event) == 13                                               ; true ; false",
            "size(event) == 7                                                ; false; true",
            "timestamp(event.event_time) > timestamp('2026-11-01T00:00:00Z') ; true ; true",
    })
    void conditionsGiveWhatTheirAuthorMeans(String expression, boolean onTagged, boolean onBare) {
        var condition = CelConditions.compile(expression);
        assertThat(condition.test(TAGGED)).as("tagged call").isEqualTo(onTagged);
        // On BARE, reading an absent field without has() is an evaluation error: not matched.
        assertThat(condition.test(BARE)).as("bare call").isEqualTo(onBare);
    }

    @Test
    void invalidExpressionsAreRefusedWithCelsMessage() {
        assertThatThrownBy(() -> CelConditions.compile("event.input_tokens >")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1:21"); // line:column of the problem
        assertThatThrownBy(() -> CelConditions.compile("event.input_tokens + 1")).isInstanceOf(IllegalArgumentException.class);
    }
}
