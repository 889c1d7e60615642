package dev.llmaudit.policy.model;

import java.util.Locale;

/**
 * Where a provider may process a call: only in the endpoint's region, anywhere in its data zone
 * (Azure Data Zone deployments, Bedrock {@code us.}/{@code eu.}/{@code apac.} inference profiles),
 * or anywhere (Azure Global deployments, Bedrock {@code global.} profiles).
 */
public enum Scope {
    REGIONAL, DATA_ZONE, GLOBAL;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code regional}, {@code data_zone}, {@code global}; null for anything else. */
    public static Scope parse(String s) {
        if (s == null) {
            return null;
        }
        return switch (s) {
            case "regional" -> REGIONAL;
            case "data_zone" -> DATA_ZONE;
            case "global" -> GLOBAL;
            default -> null;
        };
    }
}
