package dev.llmaudit.policy.rules;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A list of values where {@code *} is a wildcard ({@code gpt-5*}, {@code *-eu}). Exact values are
 * looked up in a hash set; only wildcard patterns cost a regex match.
 */
public final class Patterns {
    private final List<String> source;
    private final Set<String> exact = new HashSet<>();
    private final List<Pattern> globs = new ArrayList<>();

    public Patterns(List<String> values) {
        this.source = List.copyOf(values);
        for (String v : values) {
            if (v.contains("*")) {
                String[] parts = v.split("\\*", -1);
                StringBuilder re = new StringBuilder();
                for (int i = 0; i < parts.length; i++) {
                    if (i > 0) {
                        re.append(".*");
                    }
                    if (!parts[i].isEmpty()) {
                        re.append(Pattern.quote(parts[i]));
                    }
                }
                globs.add(Pattern.compile(re.toString()));
            } else {
                exact.add(v);
            }
        }
    }

    public boolean matches(String value) {
        if (value == null) {
            return false;
        }
        if (exact.contains(value)) {
            return true;
        }
        for (Pattern g : globs) {
            if (g.matcher(value).matches()) {
                return true;
            }
        }
        return false;
    }

    public List<String> values() {
        return source;
    }

    @Override
    public String toString() {
        return String.join(", ", source);
    }
}
