package dev.llmaudit.ingest;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** What capture tests expect, computed independently of the code under test (the JDK's Mac, prices written in the test). */
public final class Expected {
    private Expected() {}

    /** Sum of tokens x USD per million tokens, given as (tokens, price) pairs: {@code usd(200, "3.3", 50, "16.5")}. */
    public static BigDecimal usd(Object... tokensAndPrices) {
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < tokensAndPrices.length; i += 2) {
            total = total.add(new BigDecimal((Integer) tokensAndPrices[i]).multiply(new BigDecimal((String) tokensAndPrices[i + 1])));
        }
        return total.movePointLeft(6);
    }

    /** HMAC-SHA256 in lower-case hex, as the audit client hashes text. */
    public static String hmacSha256(String key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
