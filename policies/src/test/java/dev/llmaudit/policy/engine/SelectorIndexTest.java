package dev.llmaudit.policy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Severity;
import dev.llmaudit.policy.rules.CheckContext;
import dev.llmaudit.policy.rules.Patterns;
import dev.llmaudit.policy.rules.Policy;
import dev.llmaudit.policy.model.PolicyKind;
import dev.llmaudit.policy.rules.PolicyMeta;
import dev.llmaudit.policy.rules.Selector;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The index finds exactly the policies whose selectors match, in bundle order, for any selectors and calls. */
class SelectorIndexTest {
    static final String[] TENANTS = {"acme-eu", "acme-us", "globex", "initech"};
    static final String[] TEAMS = {"search", "ads", "infra"};
    static final String[] CLOUDS = {"aws", "azure", "gcp", "openai"};
    static final String[] ENVS = {"prod", "dev"};

    record Named(PolicyMeta meta) implements Policy {
        @Override
        public void check(CheckContext context) {}
    }

    static Patterns patterns(Random rnd, String[] values) {
        List<String> out = new ArrayList<>();
        for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
            String v = values[rnd.nextInt(values.length)];
            // Sometimes a wildcard: a prefix, a suffix or a glob.
            out.add(switch (rnd.nextInt(8)) {
                case 0 -> v.substring(0, 2) + "*";
                case 1 -> "*" + v.substring(v.length() - 2);
                case 2 -> v.charAt(0) + "*" + v.charAt(v.length() - 1);
                default -> v;
            });
        }
        return new Patterns(out);
    }

    static Selector selector(Random rnd) {
        Map<String, Patterns> attributes = new HashMap<>();
        if (rnd.nextInt(3) == 0) attributes.put("tenant", patterns(rnd, TENANTS));
        if (rnd.nextInt(3) == 0) attributes.put("team", patterns(rnd, TEAMS));
        if (rnd.nextInt(3) == 0) attributes.put("cloud", patterns(rnd, CLOUDS));
        if (rnd.nextInt(4) == 0) attributes.put("environment", patterns(rnd, ENVS));
        Map<String, Patterns> tags = rnd.nextInt(6) == 0 ? Map.of("cost_center", new Patterns(List.of("CC-1"))) : Map.of();
        return new Selector(attributes, tags);
    }

    static String maybe(Random rnd, String[] values) {
        // Sometimes absent, sometimes a value no selector lists.
        int i = rnd.nextInt(values.length + 2);
        return i < values.length ? values[i] : i == values.length ? null : "unlisted";
    }

    @Test
    void candidatesAreExactlyTheMatchingSelectorsInBundleOrder() {
        Random rnd = new Random(7);
        for (int bundle = 0; bundle < 200; bundle++) {
            List<Named> policies = new ArrayList<>();
            int n = 1 + rnd.nextInt(bundle % 3 == 0 ? 150 : 40); // also more than 64 (several words)
            for (int i = 0; i < n; i++) {
                policies.add(new Named(new PolicyMeta("p" + i, PolicyKind.CUSTOM, "", Severity.LOW, "", selector(rnd), "t:" + i)));
            }
            SelectorIndex index = new SelectorIndex(policies);
            for (int c = 0; c < 50; c++) {
                LlmCall call = LlmCall.builder("e" + c, Instant.EPOCH).tenant(maybe(rnd, TENANTS)).team(maybe(rnd, TEAMS))
                        .cloud(maybe(rnd, CLOUDS)).environment(maybe(rnd, ENVS))
                        .tags(rnd.nextBoolean() ? Map.of("cost_center", "CC-1") : Map.of()).build();
                List<String> expected = policies.stream().filter(p -> p.meta().selector().matches(call)).map(p -> p.meta().id()).toList();
                List<String> actual = new ArrayList<>();
                long[] candidates = index.candidates(call);
                for (int w = 0; w < candidates.length; w++) {
                    for (long bits = candidates[w]; bits != 0; bits &= bits - 1) {
                        int i = (w << 6) + Long.numberOfTrailingZeros(bits);
                        if (index.applies(i, call)) {
                            actual.add(index.policy(i).meta().id());
                        }
                    }
                }
                assertThat(actual).as("bundle %d call %s", bundle, call).isEqualTo(expected);
            }
        }
    }
}
