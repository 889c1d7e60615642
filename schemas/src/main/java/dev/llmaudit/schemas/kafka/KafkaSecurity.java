package dev.llmaudit.schemas.kafka;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The connection and security settings every Kafka client of a component shares (TLS, SASL), picked
 * out of a component's client settings so that every admin, producer and consumer it creates (topic
 * creation, bundle publishing, tails, DLQ readers) connects the same way as its main client. A cluster
 * that needs SASL_SSL then never sees a plaintext client from llm-audit.
 */
public final class KafkaSecurity {
    private KafkaSecurity() {}

    /** The settings among these that say how to connect: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}, {@code client.dns.lookup}. */
    public static Map<String, String> of(Map<String, ?> settings) {
        Map<String, String> out = new LinkedHashMap<>();
        settings.forEach((k, v) -> {
            if (v != null && isConnectionSetting(k)) {
                out.put(k, v.toString());
            }
        });
        return out;
    }

    public static boolean isConnectionSetting(String key) {
        return key.equals("security.protocol") || key.startsWith("sasl.") || key.startsWith("ssl.") || key.equals("client.dns.lookup");
    }
}
