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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles custom conditions written in CEL (Common Expression Language) over {@code event}, a map
 * with the canonical JSON field names ({@code event.cloud}, {@code event.input_tokens},
 * {@code event.tags}). Fields the event lacks are absent from the map: test them with
 * {@code has(event.team)}. A condition that fails at run time for an event (e.g. reads an absent
 * field without {@code has}) throws {@link Condition.EvaluationError}: a {@code policy_error}
 * finding, never a silent "no match".
 *
 * <p>Expressions are bounded when they are compiled ({@code policies validate} reports them): at most
 * {@value #MAX_CHARACTERS} characters, {@value #MAX_NESTING} levels of nesting and {@value #MAX_NODES}
 * expression nodes; macros iterate at most {@value #MAX_ITERATIONS} times per evaluation (an event has
 * at most 64 tags). A policy bundle arrives from a topic: one expression must not be able to exhaust
 * the parser's stack or an enforcer's CPU.
 */
public final class CelConditions {
    public static final int MAX_CHARACTERS = 4096;
    public static final int MAX_NESTING = 32;
    public static final int MAX_NODES = 1000;
    public static final int MAX_ITERATIONS = 1000;
    private static final dev.cel.common.CelOptions OPTIONS = dev.cel.common.CelOptions.current()
            .maxExpressionCodePointSize(MAX_CHARACTERS).maxParseRecursionDepth(MAX_NESTING).maxParseExpressionNodeCount(MAX_NODES)
            .comprehensionMaxIterations(MAX_ITERATIONS).maxRegexProgramSize(1000).build();
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
            .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .setResultType(SimpleType.BOOL)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();

    private CelConditions() {}

    /** Compiles; throws IllegalArgumentException with CEL's message when the expression is invalid. */
    public static Condition compile(String expression) {
        return compile(expression, true);
    }

    /** As {@link #compile(String)}; {@code memoize} false evaluates every call (for tests comparing the two). */
    static Condition compile(String expression, boolean memoize) {
        if (expression.length() > MAX_CHARACTERS) {
            throw new IllegalArgumentException("the expression has " + expression.length() + " characters; at most " + MAX_CHARACTERS
                    + " are accepted (split it into several policies)");
        }
        CelValidationResult result;
        try {
            result = COMPILER.compile(expression);
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException("the expression is nested too deeply (at most " + MAX_NESTING + " levels)");
        }
        if (result.hasError()) {
            String error = result.getErrorString();
            // CEL quotes the expression under each error; a long one would drown the message, so keep the error lines.
            if (expression.length() > 200) {
                error = error.lines().filter(l -> l.startsWith("ERROR:")).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l)
                        .collect(java.util.stream.Collectors.joining("\n"));
            }
            if (error.contains("recursion") || error.contains("depth") || error.contains("limit") || error.contains("code point")) {
                error = error + " (limits: " + MAX_CHARACTERS + " characters, " + MAX_NESTING + " levels of nesting, " + MAX_NODES
                        + " expression nodes)";
            }
            throw new IllegalArgumentException(error);
        }
        CelRuntime.Program program;
        dev.cel.common.CelAbstractSyntaxTree ast;
        try {
            ast = result.getAst();
            program = RUNTIME.createProgram(ast);
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Condition evaluate = call -> {
            Object answer;
            try {
                answer = program.eval(activation(call));
            } catch (CelEvaluationException | RuntimeException e) {
                throw new Condition.EvaluationError(describe(e));
            }
            if (!(answer instanceof Boolean b)) {
                throw new Condition.EvaluationError("the condition gave " + (answer == null ? "null" : answer.getClass().getSimpleName())
                        + ", not true or false");
            }
            return b;
        };
        List<String> fields = memoKey(ast);
        return fields == null || !memoize ? evaluate : new Memoized(fields, evaluate);
    }

    /** CEL's message, one line, bounded. */
    static String describe(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.replace('\n', ' ').replaceAll("\\s+", " ").trim();
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    /** Fields with a value per call (ids, times, token counts): an answer keyed by them would never be reused. */
    private static final Set<String> PER_CALL_FIELDS = Set.of("event_id", "event_time", "input_tokens", "output_tokens",
            "cached_input_tokens", "reasoning_tokens", "endpoint");

    /**
     * The event fields a condition reads, when it reads the event only as {@code event.<field>} (or
     * {@code has(event.<field>)}) and only fields that repeat across calls; else null. CEL has no
     * clock or I/O, so such a condition's answer is a function of those fields' values.
     */
    static List<String> memoKey(dev.cel.common.CelAbstractSyntaxTree ast) {
        var nodes = dev.cel.common.navigation.CelNavigableAst.fromAst(ast).getRoot().allNodes().toList();
        long eventIdents = nodes.stream().filter(n -> n.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.IDENT
                && n.expr().ident().name().equals("event")).count();
        java.util.TreeSet<String> fields = new java.util.TreeSet<>();
        long selects = 0;
        for (var n : nodes) {
            if (n.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.SELECT) {
                var operand = n.expr().select().operand();
                if (operand.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.IDENT && operand.ident().name().equals("event")) {
                    selects++;
                    fields.add(n.expr().select().field());
                }
            }
        }
        if (eventIdents != selects || fields.isEmpty() || fields.stream().anyMatch(PER_CALL_FIELDS::contains)) {
            return null;
        }
        return List.copyOf(fields);
    }

    /** A condition's answers (or its error) remembered per value of the fields it reads (bounded). */
    private static final class Memoized implements Condition {
        private final String[] fields;
        private final Condition evaluate;
        /** Boolean, or the EvaluationError the condition gives for these values (deterministic too). */
        private final Map<List<Object>, Object> answers = new java.util.concurrent.ConcurrentHashMap<>();

        Memoized(List<String> fields, Condition evaluate) {
            this.fields = fields.toArray(new String[0]);
            this.evaluate = evaluate;
        }

        @Override
        public boolean test(LlmCall call) {
            Object[] values = new Object[fields.length];
            for (int i = 0; i < values.length; i++) {
                Object v = field(call, fields[i]);
                values[i] = v == null ? ABSENT : v;
            }
            List<Object> key = java.util.Arrays.asList(values);
            Object known = answers.get(key);
            if (known == null) {
                try {
                    known = evaluate.test(call);
                } catch (Condition.EvaluationError e) {
                    known = e;
                }
                if (answers.size() < 10_000) {
                    answers.put(key, known);
                }
            }
            if (known instanceof Condition.EvaluationError e) {
                throw e;
            }
            return (Boolean) known;
        }
    }

    private static final Object ABSENT = new Object();

    /** The last call's activation per thread: every CEL policy of one evaluation reads the same immutable call. */
    private static final ThreadLocal<Object[]> LAST = ThreadLocal.withInitial(() -> new Object[2]);

    @SuppressWarnings("unchecked")
    static Map<String, Object> activation(LlmCall call) {
        Object[] last = LAST.get();
        if (last[0] != call) {
            last[1] = Map.of("event", new EventFields(call));
            last[0] = call;
        }
        return (Map<String, Object>) last[1];
    }

    /** The fields a condition can read, by canonical JSON name. */
    static final List<String> FIELDS = List.of("event_id", "event_time", "tenant", "app", "team", "environment", "provider", "cloud",
            "region", "deployment_scope", "endpoint", "operation", "request_model", "response_model", "input_tokens", "output_tokens",
            "cached_input_tokens", "reasoning_tokens", "status", "data_classification", "data_residency", "tags");

    /** One field of the call as CEL sees it, or null when the call lacks it. */
    static Object field(LlmCall c, String name) {
        return switch (name) {
            case "event_id" -> c.eventId();
            case "event_time" -> c.eventTime().toString();
            case "tenant" -> c.tenant();
            case "app" -> c.app();
            case "team" -> c.team();
            case "environment" -> c.environment();
            case "provider" -> c.provider();
            case "cloud" -> c.cloud();
            case "region" -> c.region();
            case "deployment_scope" -> c.scope() == null ? null : c.scope().id();
            case "endpoint" -> c.endpoint();
            case "operation" -> c.operation();
            case "request_model" -> c.requestModel();
            case "response_model" -> c.responseModel();
            case "input_tokens" -> c.inputTokens();
            case "output_tokens" -> c.outputTokens();
            case "cached_input_tokens" -> c.cachedInputTokens();
            case "reasoning_tokens" -> c.reasoningTokens();
            case "status" -> c.error() ? "error" : "ok";
            case "data_classification" -> c.dataClassification();
            case "data_residency" -> c.dataResidency();
            case "tags" -> c.tags();
            default -> null;
        };
    }

    static Map<String, Object> asMap(LlmCall c) {
        Map<String, Object> m = new HashMap<>();
        for (String name : FIELDS) {
            Object v = field(c, name);
            if (v != null) {
                m.put(name, v);
            }
        }
        return m;
    }

    /**
     * The call as the {@code event} map, read field by field: a condition usually reads one or two
     * fields, so the whole map is built only if a condition iterates it.
     */
    static final class EventFields extends java.util.AbstractMap<String, Object> {
        private final LlmCall call;
        private Map<String, Object> all;

        EventFields(LlmCall call) {
            this.call = call;
        }

        @Override
        public Object get(Object key) {
            return key instanceof String name ? field(call, name) : null;
        }

        @Override
        public boolean containsKey(Object key) {
            return get(key) != null;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            if (all == null) {
                all = asMap(call);
            }
            return all.entrySet();
        }
    }
}
