package dev.llmaudit.schemas;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Lets Avro instantiate llm-audit's generated classes when decoding.
 *
 * <p>Avro 1.12.1+ refuses to load any class by name that is not on an allow-list
 * (CVE-2024-47561 hardening), which breaks specific-record decoding with
 * {@code SecurityException: Forbidden dev.llmaudit.avro...} unless every JVM passes
 * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.llmaudit.avro}. Our deserializers call
 * {@link #trustGeneratedClasses()} so no JVM can forget the flag. The previous global predicate is
 * kept and extended, not replaced.
 */
public final class AvroTrust {
    /** Package of the classes generated from {@code schemas/src/main/avro}. */
    public static final String GENERATED_PACKAGE = "dev.llmaudit.avro";

    private static final AtomicBoolean APPLIED = new AtomicBoolean();

    private AvroTrust() {}

    /** Idempotent and thread-safe. */
    public static void trustGeneratedClasses() {
        if (!APPLIED.compareAndSet(false, true)) {
            return;
        }
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(clazz -> previous.isTrusted(clazz)
                || (clazz.getPackage() != null && GENERATED_PACKAGE.equals(clazz.getPackage().getName())));
    }
}
