package dev.llmaudit.policy.load;

import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.rules.Condition;
import java.util.HashMap;
import java.util.Map;

/**
 * Compiles custom conditions written in CEL (Common Expression Language) over {@code event}, a map
 * with the canonical JSON field names ({@code event.cloud}, {@code event.input_tokens},
 * {@code event.tags}). Fields the event lacks are absent from the map: test them with
 * {@code has(event.team)}. A condition that fails at run time for an event (e.g. reads an absent
 * field without {@code has}) counts as not matched.
 */
public final class CelConditions {
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
            .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .setResultType(SimpleType.BOOL)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    private CelConditions() {}

    /** Compiles; throws IllegalArgumentException with CEL's message when the expression is invalid. */
    public static Condition compile(String expression) {
        CelValidationResult result = COMPILER.compile(expression);
        if (result.hasError()) {
            throw new IllegalArgumentException(result.getErrorString());
        }
        CelRuntime.Program program;
        try {
            program = RUNTIME.createProgram(result.getAst());
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return call -> {
            try {
                return Boolean.TRUE.equals(program.eval(activation(call)));
            } catch (CelEvaluationException | RuntimeException e) {
                return false;
            }
        };
    }

    /** The last call's activation per thread: every CEL policy of one evaluation reads the same immutable call. */
    private static final ThreadLocal<Object[]> LAST = ThreadLocal.withInitial(() -> new Object[2]);

    @SuppressWarnings("unchecked")
    static Map<String, Object> activation(LlmCall call) {
        Object[] last = LAST.get();
        if (last[0] != call) {
            last[1] = Map.of("event", asMap(call));
            last[0] = call;
        }
        return (Map<String, Object>) last[1];
    }

    static Map<String, Object> asMap(LlmCall c) {
        Map<String, Object> m = new HashMap<>();
        m.put("event_id", c.eventId());
        m.put("event_time", c.eventTime().toString());
        put(m, "tenant", c.tenant());
        put(m, "app", c.app());
        put(m, "team", c.team());
        put(m, "environment", c.environment());
        put(m, "provider", c.provider());
        put(m, "cloud", c.cloud());
        put(m, "region", c.region());
        put(m, "deployment_scope", c.scope() == null ? null : c.scope().id());
        put(m, "endpoint", c.endpoint());
        put(m, "operation", c.operation());
        put(m, "request_model", c.requestModel());
        put(m, "response_model", c.responseModel());
        put(m, "input_tokens", c.inputTokens());
        put(m, "output_tokens", c.outputTokens());
        put(m, "cached_input_tokens", c.cachedInputTokens());
        put(m, "reasoning_tokens", c.reasoningTokens());
        m.put("status", c.error() ? "error" : "ok");
        put(m, "data_classification", c.dataClassification());
        put(m, "data_residency", c.dataResidency());
        m.put("tags", c.tags());
        return m;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
