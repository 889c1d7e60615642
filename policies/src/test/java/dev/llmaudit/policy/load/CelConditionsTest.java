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
            "event.tags.purpose == 'support'                                 ; true ; error",
            "has(event.team) && event.team == 'search'                       ; true ; false",
            "event.team == 'search'                                          ; true ; error",
            "event.input_tokens > 10000                                      ; true ; false",
            "event.input_tokens + event.output_tokens >= 12800               ; true ; error",
            "has(event.output_tokens)                                        ; true ; false",
            "event.tenant.startsWith('acme') && event.cloud in ['aws', 'gcp']; true ; false",
            "event.request_model.matches('^global[.]')                       ; true ; false",
            "event.deployment_scope == 'global'                              ; true ; error",
            "event.cloud == 'openai' || event.data_classification == 'pii'   ; true ; true",
            "event.status == 'ok'                                            ; true ; true",
            "event.exists(k, k == 'team')                                    ; true ; false",
            "size(event) == 13                                               ; true ; false",
            "size(event) == 7                                                ; false; true",
            "timestamp(event.event_time) > timestamp('2026-11-01T00:00:00Z') ; true ; true",
    })
    void conditionsGiveWhatTheirAuthorMeans(String expression, String onTagged, String onBare) {
        var condition = CelConditions.compile(expression);
        assertThat(outcome(condition, TAGGED)).as("tagged call").isEqualTo(onTagged);
        // On BARE, reading an absent field without has() is an evaluation error, never a silent "no match".
        assertThat(outcome(condition, BARE)).as("bare call").isEqualTo(onBare);
    }

    static String outcome(dev.llmaudit.policy.rules.Condition c, LlmCall call) {
        try {
            return Boolean.toString(c.test(call));
        } catch (dev.llmaudit.policy.rules.Condition.EvaluationError e) {
            return "error";
        }
    }

    @Test
    void anEvaluationErrorSaysWhichFieldWasMissing() {
        assertThatThrownBy(() -> CelConditions.compile("event.team == 'search'").test(BARE))
                .isInstanceOf(dev.llmaudit.policy.rules.Condition.EvaluationError.class)
                .hasMessage("evaluation error at <input>:5: key 'team' is not present in map.");
    }

    @Test
    void expressionsAreBoundedInSizeAndNesting() {
        String deep = "(".repeat(40) + "true" + ")".repeat(40);
        assertThatThrownBy(() -> CelConditions.compile(deep)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(limits: 4096 characters, 32 levels of nesting, 1000 expression nodes)");
        String longOne = "event.team == 'x'" + " || event.team == 'x'".repeat(250);
        assertThat(longOne.length()).isGreaterThan(4096);
        assertThatThrownBy(() -> CelConditions.compile(longOne)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the expression has " + longOne.length() + " characters; at most 4096 are accepted (split it into several policies)");
        String many = "size([" + "1,".repeat(1500) + "1]) > 0";
        assertThat(many.length()).isLessThan(4096);
        assertThatThrownBy(() -> CelConditions.compile(many)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expression nodes)");
    }

    @Test
    void errorsAndFalseCombineAsCelDefinesThem() {
        // CEL's && and || are commutative over errors: a definite answer from one side wins.
        var c = CelConditions.compile("event.tenant.startsWith('acme') && event.cloud in ['aws', 'gcp']");
        assertThat(outcome(c, BARE)).as("tenant absent (error) && cloud openai (false)").isEqualTo("false");
        var d = CelConditions.compile("event.tenant.startsWith('acme') || event.cloud == 'openai'");
        assertThat(outcome(d, BARE)).as("tenant absent (error) || cloud openai (true)").isEqualTo("true");
    }

    @Test
    void answersAreRememberedOnlyForConditionsOverFieldsThatRepeat() throws Exception {
        assertThat(memoKey("!('cost_center' in event.tags)")).containsExactly("tags");
        assertThat(memoKey("has(event.team) && event.team == 'search' && event.cloud in ['aws']")).containsExactly("cloud", "team");
        assertThat(memoKey("event.input_tokens > 100")).isNull();      // differs per call
        assertThat(memoKey("size(event) > 3")).isNull();               // reads the whole event
        assertThat(memoKey("event['team'] == 'search'")).isNull();     // not a field selection
        assertThat(memoKey("true")).isNull();
    }

    static java.util.List<String> memoKey(String expression) throws Exception {
        return CelConditions.memoKey(dev.cel.compiler.CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
                .addVar("event", dev.cel.common.types.MapType.create(dev.cel.common.types.SimpleType.STRING,
                        dev.cel.common.types.SimpleType.DYN))
                .build().compile(expression).getAst());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "!('cost_center' in event.tags)",
            "has(event.team) && event.team.startsWith('s') || event.cloud == 'gcp'",
            "event.tags.purpose == 'support' && event.data_classification == 'pii'",
            "[{'team': 'ads'}].exists(event, event.team == 'ads') && event.tenant == 'acme'",
    })
    void rememberedAnswersEqualEvaluatingEveryCall(String expression) {
        var remembered = CelConditions.compile(expression, true);
        var evaluated = CelConditions.compile(expression, false);
        java.util.Random rnd = new java.util.Random(3);
        String[] teams = {"search", "ads", null};
        for (int i = 0; i < 2_000; i++) {
            Map<String, String> tags = new java.util.HashMap<>();
            if (rnd.nextBoolean()) tags.put("cost_center", "CC-" + rnd.nextInt(3));
            if (rnd.nextBoolean()) tags.put("purpose", rnd.nextBoolean() ? "support" : "eval");
            LlmCall call = LlmCall.builder("e-" + i, Instant.EPOCH.plusSeconds(i)).team(teams[rnd.nextInt(3)])
                    .tenant(rnd.nextBoolean() ? "acme" : "globex").cloud(rnd.nextBoolean() ? "gcp" : "aws")
                    .dataClassification(rnd.nextBoolean() ? "pii" : null).inputTokens((long) rnd.nextInt(1000)).tags(tags).build();
            assertThat(outcome(remembered, call)).as("%s on %s", expression, call).isEqualTo(outcome(evaluated, call));
        }
    }

    @Test
    void invalidExpressionsAreRefusedWithCelsMessage() {
        assertThatThrownBy(() -> CelConditions.compile("event.input_tokens >")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1:21"); // line:column of the problem
        assertThatThrownBy(() -> CelConditions.compile("event.input_tokens + 1")).isInstanceOf(IllegalArgumentException.class);
    }
}
