package dev.llmaudit.policy.engine;

import dev.llmaudit.policy.model.BudgetContribution;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Evaluates a batch of calls in event-time order (ties by event id) and accumulates budgets, as a
 * stream job would, so a backtest gives the findings the enforcer would have produced. Used by
 * {@code policies test} and {@code policies dry-run}.
 */
public final class Replay {
    /** Every evaluation, every finding in order (budget crossings after the call that caused them), and final budget states. */
    public record Result(List<Evaluation> evaluations, List<Finding> findings, Map<String, BudgetLedger.State> budgets) {}

    private Replay() {}

    public static Result run(PolicyEngine engine, List<LlmCall> calls, Consumer<Integer> progress) {
        List<LlmCall> ordered = new ArrayList<>(calls);
        ordered.sort(Comparator.comparing(LlmCall::eventTime).thenComparing(LlmCall::eventId));
        BudgetLedger ledger = new BudgetLedger();
        List<Evaluation> evaluations = new ArrayList<>(ordered.size());
        List<Finding> findings = new ArrayList<>();
        int done = 0;
        for (LlmCall call : ordered) {
            Evaluation e = engine.evaluate(call);
            evaluations.add(e);
            findings.addAll(e.findings());
            for (BudgetContribution c : e.budgetContributions()) {
                findings.addAll(ledger.record(c, engine.severityOf(c.budgetId())));
            }
            if (progress != null && ++done % 10_000 == 0) {
                progress.accept(done);
            }
        }
        return new Result(evaluations, findings, ledger.states());
    }
}
