package dev.llmaudit.ingest.capture;

import java.lang.reflect.Method;

/**
 * Reads a provider-specific detail (cached or reasoning tokens) from a framework's usage object
 * whose class belongs to a module the app may not have, by calling public no-argument accessors
 * by name: {@code Details.path(usage, "promptTokensDetails", "cachedTokens")}. Null when any step
 * is missing, null or fails: the detail is then unknown, never guessed.
 */
public final class Details {
    private Details() {}

    public static Object path(Object root, String... accessors) {
        Object current = root;
        try {
            for (String accessor : accessors) {
                if (current == null) {
                    return null;
                }
                Method m = current.getClass().getMethod(accessor);
                m.setAccessible(true); // records' accessors are public, but their classes may be nested and non-public
                current = m.invoke(current);
            }
            return current;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Anthropic's usage as the frameworks carry it (LangChain4j's {@code AnthropicTokenUsage}, Spring AI's
     * {@code AnthropicApi.Usage}): input excludes cache reads and writes, which the contract's input
     * includes. Adds them and sets the cached count; does nothing for other providers' usage.
     */
    public static void anthropicCache(Object usage, dev.llmaudit.avro.LlmCallEvent.Builder e) {
        Long read = asLong(path(usage, "cacheReadInputTokens"));
        Long write = asLong(path(usage, "cacheCreationInputTokens"));
        if ((read == null && write == null) || e.getInputTokens() == null) {
            return;
        }
        e.setInputTokens(e.getInputTokens() + (read == null ? 0 : read) + (write == null ? 0 : write));
        e.setCachedInputTokens(read == null ? 0L : read);
    }

    /** The value as a long, when it is a number. */
    public static Long asLong(Object n) {
        return n instanceof Number number ? Long.valueOf(number.longValue()) : null;
    }
}
