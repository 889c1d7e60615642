package dev.llmaudit.policy.catalog;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model-name rules shared by pricing, model policies and price comparison.
 *
 * <p>A Bedrock model id may carry a cross-region inference-profile prefix ({@code us.}, {@code eu.},
 * {@code apac.}, {@code au.}, {@code jp.}, {@code ca.}, {@code us-gov.}, {@code global.}) that says
 * where the request may be processed. The <em>canonical</em> name strips profile, vendor and version
 * decorations so the same model can be recognised across clouds: {@code eu.anthropic.claude-sonnet-4-5-20250929-v1:0},
 * {@code claude-sonnet-4-5@20250929} and {@code claude-sonnet-4-5-20250929} are all {@code claude-sonnet-4-5-20250929};
 * {@code openai.gpt-oss-120b-1:0} and {@code gpt-oss-120b} are {@code gpt-oss-120b}.
 */
public final class ModelNames {
    private static final Pattern PROFILE = Pattern.compile("^(us|eu|apac|au|jp|ca|us-gov|global)\\.(?=[a-z0-9-]+\\.)");
    private static final Pattern VENDOR = Pattern.compile(
            "^(anthropic|openai|amazon|meta|mistral|cohere|ai21|deepseek|qwen|google|minimax|moonshotai|moonshot|nvidia|writer|zai|twelvelabs|stability|xai)\\.");
    private static final Pattern VERSION = Pattern.compile("(-v\\d+(:\\d+)?|-\\d+:\\d+|:\\d+)$");

    /** Model names are few and repeat endlessly: remember the answers (bounded, so odd input cannot grow it without limit). */
    private static final int CACHE_LIMIT = 50_000;
    private static final java.util.Map<String, Optional<Profile>> PROFILES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.util.Map<String, String> CANONICAL = new java.util.concurrent.ConcurrentHashMap<>();

    private ModelNames() {}

    /** A model name, without its inference-profile prefix, and canonical: the forms policies match on. */
    public record Forms(String name, String withoutProfile, String canonical) {}

    private static final java.util.Map<String, Forms> FORMS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The forms of a model name, remembered (names repeat across calls; computing them is string work). */
    public static Forms forms(String model) {
        Forms f = FORMS.get(model);
        if (f == null) {
            f = new Forms(model, withoutProfile(model), canonical(model));
            if (FORMS.size() < 10_000) {
                FORMS.put(model, f);
            }
        }
        return f;
    }

    /** A Bedrock inference-profile prefix and the model id behind it. */
    public record Profile(String prefix, String model) {
        public boolean global() {
            return prefix.equals("global");
        }
    }

    /** The inference profile a Bedrock model id names, if any. */
    public static Optional<Profile> bedrockProfile(String model) {
        if (model == null) {
            return Optional.empty();
        }
        Optional<Profile> cached = PROFILES.get(model);
        if (cached != null) {
            return cached;
        }
        Optional<Profile> computed = parseProfile(model);
        if (PROFILES.size() < CACHE_LIMIT) {
            PROFILES.put(model, computed);
        }
        return computed;
    }

    static Optional<Profile> parseProfile(String model) {
        Matcher m = PROFILE.matcher(model);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new Profile(m.group(1), model.substring(m.end())));
    }

    /** The model id without an inference-profile prefix. */
    public static String withoutProfile(String model) {
        return bedrockProfile(model).map(Profile::model).orElse(model);
    }

    /** Cloud-independent name for comparing offers of the same model. */
    public static String canonical(String model) {
        if (model == null) {
            return null;
        }
        String cached = CANONICAL.get(model);
        if (cached != null) {
            return cached;
        }
        String computed = computeCanonical(model);
        if (CANONICAL.size() < CACHE_LIMIT) {
            CANONICAL.put(model, computed);
        }
        return computed;
    }

    /** Not remembered: for tests, which must see the computation and not an earlier answer. */
    static String computeCanonical(String model) {
        String m = withoutProfile(model.toLowerCase(Locale.ROOT));
        int slash = m.lastIndexOf('/');
        if (slash >= 0) {
            m = m.substring(slash + 1); // vertex publisher paths: meta/llama-... , deployment paths
        }
        m = VENDOR.matcher(m).replaceFirst("");
        m = m.replace('@', '-');
        if (m.endsWith("-maas")) {
            m = m.substring(0, m.length() - 5);
        }
        m = VERSION.matcher(m).replaceFirst("");
        return m;
    }
}
