package dev.llmaudit.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Method + path -> endpoint, exact paths or path prefixes (longest first). Immutable. */
public final class Routes {
    private final Map<String, Map<String, Endpoint>> exact;
    private final List<Prefix> prefixes;
    private final String notFoundHint;

    private record Prefix(String method, String prefix, Endpoint endpoint) {}

    /** What a request resolves to: an endpoint, or the methods the path allows (405), or nothing (404). */
    record Match(Endpoint endpoint, Set<String> allowed) {}

    private Routes(Builder b) {
        this.exact = Map.copyOf(b.exact);
        this.prefixes = b.prefixes.stream().sorted((x, y) -> y.prefix.length() - x.prefix.length()).toList();
        this.notFoundHint = b.notFoundHint;
    }

    public static Builder builder() {
        return new Builder();
    }

    String notFoundHint() {
        return notFoundHint;
    }

    Optional<Match> match(String method, String path) {
        Map<String, Endpoint> byMethod = exact.get(path);
        if (byMethod != null) {
            Endpoint e = byMethod.get(method);
            if (e == null && method.equals("HEAD")) {
                e = byMethod.get("GET");
            }
            return Optional.of(new Match(e, byMethod.keySet()));
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (Prefix p : prefixes) {
            if (path.startsWith(p.prefix)) {
                if (p.method.equals(method) || method.equals("HEAD") && p.method.equals("GET")) {
                    return Optional.of(new Match(p.endpoint, Set.of(p.method)));
                }
                allowed.add(p.method);
            }
        }
        return allowed.isEmpty() ? Optional.empty() : Optional.of(new Match(null, allowed));
    }

    public static final class Builder {
        private final Map<String, Map<String, Endpoint>> exact = new LinkedHashMap<>();
        private final List<Prefix> prefixes = new ArrayList<>();
        private String notFoundHint = "not found";

        public Builder get(String path, Endpoint e) {
            return route("GET", path, e);
        }

        public Builder post(String path, Endpoint e) {
            return route("POST", path, e);
        }

        public Builder route(String method, String path, Endpoint e) {
            exact.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, e);
            return this;
        }

        /** Every path under the prefix (e.g. static assets under {@code /assets/}). */
        public Builder prefix(String method, String pathPrefix, Endpoint e) {
            prefixes.add(new Prefix(method, pathPrefix, e));
            return this;
        }

        /** The error text of a 404, e.g. which paths exist. */
        public Builder notFound(String hint) {
            this.notFoundHint = hint;
            return this;
        }

        public Routes build() {
            return new Routes(this);
        }
    }
}
