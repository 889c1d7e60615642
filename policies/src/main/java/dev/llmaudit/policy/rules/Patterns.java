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
    private final List<String> prefixes = new ArrayList<>();
    private final List<String> suffixes = new ArrayList<>();
    /** Values repeat (a few dozen models and tenants): remember regex answers, bounded. */
    private final java.util.Map<String, Boolean> globAnswers = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_LIMIT = 10_000;

    public Patterns(List<String> values) {
        this.source = List.copyOf(values);
        for (String v : values) {
            int stars = v.length() - v.replace("*", "").length();
            if (stars == 1 && v.endsWith("*")) {
                prefixes.add(v.substring(0, v.length() - 1));
            } else if (stars == 1 && v.startsWith("*")) {
                suffixes.add(v.substring(1));
            } else if (v.contains("*")) {
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
        for (int i = 0; i < prefixes.size(); i++) {
            if (value.startsWith(prefixes.get(i))) {
                return true;
            }
        }
        for (int i = 0; i < suffixes.size(); i++) {
            if (value.endsWith(suffixes.get(i))) {
                return true;
            }
        }
        if (globs.isEmpty()) {
            return false;
        }
        Boolean known = globAnswers.get(value);
        if (known != null) {
            return known;
        }
        boolean answer = false;
        for (Pattern g : globs) {
            if (g.matcher(value).matches()) {
                answer = true;
                break;
            }
        }
        if (globAnswers.size() < CACHE_LIMIT) {
            globAnswers.put(value, answer);
        }
        return answer;
    }

    /** True when this list can match the value only if it is one of the exact values (no wildcards). */
    public boolean exactOnly() {
        return prefixes.isEmpty() && suffixes.isEmpty() && globs.isEmpty();
    }

    public List<String> values() {
        return source;
    }

    @Override
    public String toString() {
        return String.join(", ", source);
    }
}
