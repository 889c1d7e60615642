package dev.llmaudit.policy.load;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects every problem found while loading a bundle, each as {@code file:line:col: message}. */
public final class Problems {
    /** One problem at one place. */
    public record Problem(Path file, int line, int column, String message) {
        @Override
        public String toString() {
            return file + ":" + line + ":" + column + ": " + message;
        }
    }

    private final List<Problem> problems = new ArrayList<>();

    public void add(Path file, int line, int column, String message) {
        problems.add(new Problem(file, line, column, message));
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /** Problems ordered by file, line and column. */
    public List<Problem> all() {
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparing((Problem p) -> p.file().toString()).thenComparingInt(Problem::line).thenComparingInt(Problem::column));
        return sorted;
    }
}
