package dev.llmaudit.policy.load;

import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads YAML as a node tree that keeps line and column of every value, so each validation error
 * can say {@code file:line:col: message}. Binding is done by hand on purpose: it reports all
 * problems at once, names the field, and says what would be accepted.
 */
final class Yaml {
    private Yaml() {}

    /** Parses a file; syntax errors are added to problems and yield empty. */
    static Optional<Node> parse(Path file, Problems problems) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(50);
        options.setCodePointLimit(64 * 1024 * 1024);
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Node node = new org.yaml.snakeyaml.Yaml(options).compose(reader);
            if (node == null) {
                problems.add(file, 1, 1, "the file is empty");
                return Optional.empty();
            }
            return Optional.of(node);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            problems.add(file, m == null ? 1 : m.getLine() + 1, m == null ? 1 : m.getColumn() + 1,
                    "invalid YAML: " + (e.getProblem() != null ? e.getProblem() : e.getMessage()).trim());
        } catch (IOException e) {
            problems.add(file, 0, 0, "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            problems.add(file, 1, 1, "invalid YAML: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** A node with the file it came from. */
    record At(Path file, Node node) {
        int line() {
            return node.getStartMark().getLine() + 1;
        }

        int column() {
            return node.getStartMark().getColumn() + 1;
        }

        String where() {
            return file + ":" + line();
        }

        void error(Problems p, String message) {
            p.add(file, line(), column(), message);
        }

        boolean isMap() {
            return node instanceof MappingNode;
        }

        boolean isList() {
            return node instanceof SequenceNode;
        }

        boolean isScalar() {
            return node instanceof ScalarNode;
        }

        boolean isNull() {
            return node instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
        }

        String text() {
            return ((ScalarNode) node).getValue();
        }

        String kind() {
            if (isMap()) {
                return "a mapping";
            }
            if (isList()) {
                return "a list";
            }
            if (isNull()) {
                return "null";
            }
            return "\"" + text() + "\"";
        }

        /** Entries of a mapping, in order (keys are scalars). */
        Map<String, At> entries(Problems p) {
            Map<String, At> out = new LinkedHashMap<>();
            if (!isMap()) {
                return out;
            }
            for (NodeTuple t : ((MappingNode) node).getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode key)) {
                    new At(file, t.getKeyNode()).error(p, "keys must be plain strings");
                    continue;
                }
                out.put(key.getValue(), new At(file, t.getValueNode()));
            }
            return out;
        }

        List<At> items() {
            List<At> out = new ArrayList<>();
            if (isList()) {
                for (Node n : ((SequenceNode) node).getValue()) {
                    out.add(new At(file, n));
                }
            }
            return out;
        }
    }

    /** A mapping's fields, with typed accessors that record problems and remember which keys were read. */
    static final class Fields {
        private final At at;
        private final Map<String, At> entries;
        private final Problems problems;
        private final String context;

        Fields(At at, Problems problems, String context) {
            this.at = at;
            this.problems = problems;
            this.context = context;
            if (!at.isMap()) {
                at.error(problems, context + ": expected a mapping, got " + at.kind());
                this.entries = Map.of();
            } else {
                this.entries = at.entries(problems);
            }
        }

        At at() {
            return at;
        }

        boolean has(String key) {
            At v = entries.get(key);
            return v != null && !v.isNull();
        }

        Optional<At> node(String key) {
            At v = entries.get(key);
            return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
        }

        /** Reports keys outside the allowed set, suggesting the closest. */
        void rejectUnknown(Collection<String> allowed) {
            Set<String> allow = Set.copyOf(allowed);
            for (Map.Entry<String, At> e : entries.entrySet()) {
                if (!allow.contains(e.getKey())) {
                    String hint = dev.llmaudit.schemas.json.Suggestions.closest(e.getKey(), allowed).map(s -> " (did you mean \"" + s + "\"?)").orElse("");
                    e.getValue().error(problems, context + ": unknown key \"" + e.getKey() + "\"" + hint
                            + "; expected one of " + String.join(", ", allowed));
                }
            }
        }

        String requiredString(String key) {
            if (!has(key)) {
                at.error(problems, context + ": missing required key \"" + key + "\"");
                return null;
            }
            return string(key);
        }

        String string(String key) {
            Optional<At> v = node(key);
            if (v.isEmpty()) {
                return null;
            }
            if (!v.get().isScalar()) {
                v.get().error(problems, context + "." + key + ": expected a string, got " + v.get().kind());
                return null;
            }
            return v.get().text();
        }

        List<String> strings(String key) {
            Optional<At> v = node(key);
            if (v.isEmpty()) {
                return null;
            }
            if (v.get().isScalar()) {
                return List.of(v.get().text()); // a single value is a one-element list
            }
            if (!v.get().isList()) {
                v.get().error(problems, context + "." + key + ": expected a list of strings, got " + v.get().kind());
                return null;
            }
            List<String> out = new ArrayList<>();
            for (At item : v.get().items()) {
                if (!item.isScalar() || item.isNull()) {
                    item.error(problems, context + "." + key + ": expected a string, got " + item.kind());
                } else {
                    out.add(item.text());
                }
            }
            return out;
        }

        BigDecimal decimal(String key, boolean required) {
            Optional<At> v = node(key);
            if (v.isEmpty()) {
                if (required) {
                    at.error(problems, context + ": missing required key \"" + key + "\"");
                }
                return null;
            }
            if (!v.get().isScalar()) {
                v.get().error(problems, context + "." + key + ": expected a decimal number such as \"2.50\", got " + v.get().kind());
                return null;
            }
            try {
                BigDecimal d = new BigDecimal(v.get().text().trim());
                if (d.signum() < 0) {
                    v.get().error(problems, context + "." + key + ": must be >= 0, got " + v.get().text());
                    return null;
                }
                return d;
            } catch (NumberFormatException e) {
                v.get().error(problems, context + "." + key + ": not a decimal number: \"" + v.get().text() + "\"");
                return null;
            }
        }

        Long count(String key) {
            Optional<At> v = node(key);
            if (v.isEmpty()) {
                return null;
            }
            try {
                long n = Long.parseLong(v.get().isScalar() ? v.get().text().trim().replace("_", "") : "x");
                if (n < 0) {
                    v.get().error(problems, context + "." + key + ": must be >= 0, got " + n);
                    return null;
                }
                return n;
            } catch (NumberFormatException e) {
                v.get().error(problems, context + "." + key + ": expected a whole number, got " + v.get().kind());
                return null;
            }
        }
    }
}
