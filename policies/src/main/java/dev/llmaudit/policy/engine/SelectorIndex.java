package dev.llmaudit.policy.engine;

import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.rules.Patterns;
import dev.llmaudit.policy.rules.Policy;
import dev.llmaudit.policy.rules.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which of a bundle's policies can apply to a call, found with one hash lookup per selector
 * attribute instead of one selector match per policy (a bundle of ~50 policies has most of them
 * scoped to a tenant, team, cloud or environment, so most calls concern a few).
 *
 * <p>For every attribute some selector names, a bit set per value listed exactly: the policies that
 * allow that value (they list it, do not name the attribute, or use a wildcard there). The AND of
 * the call's sets is the candidates, in bundle order. A policy whose selector is only exact values
 * of indexed attributes is decided by the sets alone; one with wildcards or tag conditions is
 * "residual" and still runs its own {@link Selector#matches}. The sets never exclude a policy the
 * selector would match, so the result equals checking every selector.
 */
final class SelectorIndex {
    private final Policy[] policies;
    private final int words;
    /** Per indexed attribute (arrays: this runs for every call): its code for {@link Selector#read}, ... */
    private final int[] codes;
    /** ... the policies allowing each value some selector lists exactly, ... */
    private final Map<String, long[]>[] byValue;
    /** ... the policies allowing a value no selector lists (no constraint, or a wildcard), ... */
    private final long[][] otherValue;
    /** ... and the policies allowing a call without that attribute (those that do not name it). */
    private final long[][] absent;
    private final long[] residual;
    private final long[] all;

    SelectorIndex(List<? extends Policy> bundlePolicies) {
        this.policies = bundlePolicies.toArray(new Policy[0]);
        this.words = Math.max(1, (policies.length + 63) / 64);
        this.residual = new long[words];
        this.all = new long[words];
        Map<String, List<Integer>> namedBy = new java.util.TreeMap<>();
        for (int i = 0; i < policies.length; i++) {
            set(all, i);
            Selector s = policies[i].meta().selector();
            if (!s.tags().isEmpty()) {
                set(residual, i);
            }
            for (var e : s.attributes().entrySet()) {
                namedBy.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(i);
                if (!e.getValue().exactOnly()) {
                    set(residual, i);
                }
            }
        }
        int attributes = namedBy.size();
        this.codes = new int[attributes];
        @SuppressWarnings("unchecked")
        Map<String, long[]>[] maps = new Map[attributes];
        this.byValue = maps;
        this.otherValue = new long[attributes][];
        this.absent = new long[attributes][];
        int a = 0;
        for (String attribute : namedBy.keySet()) {
            long[] other = all.clone();
            long[] none = all.clone();
            Map<String, long[]> values = new HashMap<>();
            for (int i : namedBy.get(attribute)) {
                Patterns p = policies[i].meta().selector().attributes().get(attribute);
                clear(none, i);
                if (p.exactOnly()) {
                    clear(other, i);
                    p.values().forEach(v -> values.put(v, null));
                }
            }
            // A listed value is allowed by the "other" policies plus those listing it.
            for (String v : values.keySet()) {
                long[] allowed = other.clone();
                for (int i : namedBy.get(attribute)) {
                    Patterns p = policies[i].meta().selector().attributes().get(attribute);
                    if (p.exactOnly() && p.values().contains(v)) {
                        set(allowed, i);
                    }
                }
                values.put(v, allowed);
            }
            codes[a] = Selector.code(attribute);
            byValue[a] = values;
            otherValue[a] = other;
            absent[a] = none;
            a++;
        }
    }

    Policy policy(int i) {
        return policies[i];
    }

    /** The candidate policies for the call, as a bit set in bundle order (a new array). */
    long[] candidates(LlmCall call) {
        long[] mask = all.clone();
        for (int a = 0; a < codes.length; a++) {
            String v = Selector.read(call, codes[a]);
            long[] allowed = v == null ? absent[a] : byValue[a].getOrDefault(v, otherValue[a]);
            for (int w = 0; w < words; w++) {
                mask[w] &= allowed[w];
            }
        }
        return mask;
    }

    /** Whether candidate i applies to the call: decided by the index unless its selector needs its own check. */
    boolean applies(int i, LlmCall call) {
        return (residual[i >>> 6] & (1L << i)) == 0 || policies[i].meta().selector().matches(call);
    }

    private static void set(long[] bits, int i) {
        bits[i >>> 6] |= 1L << i;
    }

    private static void clear(long[] bits, int i) {
        bits[i >>> 6] &= ~(1L << i);
    }
}
