package dev.llmaudit.cli.focus;

import dev.llmaudit.avro.SkuMeterUsage;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns one rollup into its FOCUS rows (pure): one row per SKU meter (input, cached input, output,
 * reasoning tokens), as FOCUS prices each SKU on its own row with {@code ListCost = ListUnitPrice x
 * PricingQuantity}. The rows' costs add up to the rollup's exactly. A rollup whose meter split is not
 * known (written before UsageRollup v4) becomes one row with its totals and no meter.
 */
public final class FocusRows {
    static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
    private static final Map<String, String> PROVIDERS = Map.of("azure", "Microsoft", "aws", "AWS", "gcp", "Google Cloud",
            "openai", "OpenAI", "anthropic", "Anthropic");
    private static final Map<String, String> METER_IDS = Map.of("Input Tokens", "input", "Cached Input Tokens", "cached-input",
            "Output Tokens", "output", "Reasoning Tokens", "reasoning");

    private FocusRows() {}

    /** The rows of a rollup, with the cloud's billing account (never null: rows without one are withheld by the caller). */
    public static List<Object[]> of(UsageRollup r, BillingAccounts.Account account) {
        List<Object[]> rows = new ArrayList<>();
        if (r.getXSkuMeters() == null) {
            // Written before UsageRollup v4, or from job state older than it: one row with the totals, which are exact.
            Object[] row = common(r, account);
            set(row, FocusColumn.ConsumedQuantity, BigDecimal.valueOf(r.getConsumedQuantity()));
            costs(row, r.getListCost().getAmount(), contracted(r));
            set(row, FocusColumn.x_PricingStatus, "meters unknown");
            set(row, FocusColumn.x_PriceEntry, r.getSkuId());
            set(row, FocusColumn.ChargeDescription, description(r, "tokens (no meter split: written before UsageRollup v4 or from older job state)"));
            rows.add(row);
            return rows;
        }
        for (SkuMeterUsage m : r.getXSkuMeters()) {
            Object[] row = common(r, account);
            BigDecimal priced = BigDecimal.valueOf(m.getPricingQuantity()).movePointLeft(6);
            set(row, FocusColumn.SkuMeter, m.getSkuMeter());
            set(row, FocusColumn.ConsumedQuantity, BigDecimal.valueOf(m.getConsumedQuantity()));
            set(row, FocusColumn.PricingQuantity, priced);
            set(row, FocusColumn.PricingUnit, "1000000 Tokens");
            String entry = m.getPriceEntry();
            if (entry == null) {
                // Tokens of calls without a catalog price: counted, never costed as $0.
                set(row, FocusColumn.x_PricingStatus, "unpriced");
                set(row, FocusColumn.ChargeDescription, description(r, m.getSkuMeter() + " without a catalog price"));
            } else {
                BigDecimal list = m.getListCost().getAmount();
                BigDecimal contracted = m.getContractedCost().getAmount();
                costs(row, list, contracted);
                String sku = sku(entry);
                set(row, FocusColumn.SkuId, sku);
                set(row, FocusColumn.SkuPriceId, sku + "#" + METER_IDS.getOrDefault(m.getSkuMeter(), m.getSkuMeter()));
                set(row, FocusColumn.ListUnitPrice, unitPrice(list, priced));
                set(row, FocusColumn.ContractedUnitPrice, unitPrice(contracted, priced));
                set(row, FocusColumn.x_PricingStatus, "priced");
                set(row, FocusColumn.x_PriceEntry, entry);
                set(row, FocusColumn.ChargeDescription, description(r, m.getSkuMeter()));
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * Why a rollup cannot be exported as it is, or null: its meters must add up to its totals and its amounts fit the
     * files' decimal(38,12). Checked before any row is written, so a bad record is reported instead of stopping the export.
     */
    public static String problem(UsageRollup r) {
        if (r.getChargePeriodStart() == null || r.getChargePeriodEnd() == null || r.getListCost() == null || r.getBillingCurrency() == null) {
            return "a period, ListCost or BillingCurrency is missing";
        }
        List<BigDecimal> amounts = new ArrayList<>(List.of(r.getListCost().getAmount(), contracted(r)));
        if (r.getXSkuMeters() != null) {
            BigDecimal list = BigDecimal.ZERO;
            BigDecimal contracted = BigDecimal.ZERO;
            long consumed = 0;
            for (SkuMeterUsage m : r.getXSkuMeters()) {
                if (!METER_IDS.containsKey(m.getSkuMeter())) {
                    return "unknown SkuMeter \"" + m.getSkuMeter() + "\"";
                }
                boolean priced = m.getPriceEntry() != null;
                // What of() relies on: a priced meter prices all its tokens; an unpriced one prices none and costs nothing.
                if (m.getConsumedQuantity() < 0 || m.getPricingQuantity() != (priced ? m.getConsumedQuantity() : 0)
                        || !priced && (m.getListCost().getAmount().signum() != 0 || m.getContractedCost().getAmount().signum() != 0)) {
                    return "meter " + m.getSkuMeter() + " of " + (priced ? m.getPriceEntry() : "no price entry") + " has ConsumedQuantity "
                            + m.getConsumedQuantity() + ", PricingQuantity " + m.getPricingQuantity() + ", ListCost "
                            + m.getListCost().getAmount().toPlainString();
                }
                list = list.add(m.getListCost().getAmount());
                contracted = contracted.add(m.getContractedCost().getAmount());
                try {
                    consumed = Math.addExact(consumed, m.getConsumedQuantity());
                } catch (ArithmeticException overflow) {
                    return "its meters' tokens overflow a long";
                }
                amounts.add(m.getListCost().getAmount());
                amounts.add(m.getContractedCost().getAmount());
            }
            if (list.compareTo(r.getListCost().getAmount()) != 0 || contracted.compareTo(contracted(r)) != 0
                    || consumed != r.getConsumedQuantity()) {
                return "its meters (ListCost " + list.toPlainString() + ", ContractedCost " + contracted.toPlainString() + ", " + consumed
                        + " tokens) do not add up to its totals (" + r.getListCost().getAmount().toPlainString() + ", "
                        + contracted(r).toPlainString() + ", " + r.getConsumedQuantity() + ")";
            }
        }
        for (BigDecimal a : amounts) {
            if (!fits(a)) {
                return "amount " + a.toPlainString() + " does not fit decimal(" + FocusFiles.PRECISION + "," + FocusFiles.SCALE + ")";
            }
        }
        return null;
    }

    /**
     * The SKU of a catalog entry: without its effective date, and without the overlay's "negotiated:TENANT:" or
     * "corrected:" prefix, so a negotiated price is the same SKU price as the list one (its price is in
     * ContractedUnitPrice).
     */
    static String sku(String entry) {
        String undated = entry.replaceFirst("@[^@/]*$", "");
        int slash = undated.indexOf('/');
        int colon = slash < 0 ? -1 : undated.lastIndexOf(':', slash);
        return colon < 0 ? undated : undated.substring(colon + 1);
    }

    /** The first instant of the rollup's billing period (its window's UTC month). */
    public static Instant billingPeriodStart(UsageRollup r) {
        return YearMonth.from(r.getChargePeriodStart().atZone(ZoneOffset.UTC)).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static Object[] common(UsageRollup r, BillingAccounts.Account account) {
        Object[] row = new Object[FocusColumn.values().length];
        String cloud = r.getXCloud() == null ? null : r.getXCloud().name();
        String provider = cloud != null && PROVIDERS.containsKey(cloud) ? PROVIDERS.get(cloud)
                : r.getProviderName() != null ? r.getProviderName() : cloud != null ? cloud : "unknown";
        Instant period = billingPeriodStart(r);
        set(row, FocusColumn.BillingAccountId, account.id());
        set(row, FocusColumn.BillingAccountName, account.name());
        set(row, FocusColumn.BillingCurrency, r.getBillingCurrency());
        set(row, FocusColumn.BillingPeriodStart, period);
        set(row, FocusColumn.BillingPeriodEnd, period.atZone(ZoneOffset.UTC).plusMonths(1).toInstant());
        set(row, FocusColumn.ChargeCategory, "Usage");
        set(row, FocusColumn.ChargeFrequency, "Usage-Based");
        set(row, FocusColumn.ChargePeriodStart, r.getChargePeriodStart());
        set(row, FocusColumn.ChargePeriodEnd, r.getChargePeriodEnd());
        set(row, FocusColumn.ConsumedUnit, "Tokens");
        set(row, FocusColumn.InvoiceIssuerName, account.invoiceIssuer() != null ? account.invoiceIssuer() : provider);
        set(row, FocusColumn.PricingCategory, "Standard");
        set(row, FocusColumn.ProviderName, provider);
        set(row, FocusColumn.PublisherName, publisher(r.getXModel(), provider));
        set(row, FocusColumn.RegionId, r.getRegionId());
        set(row, FocusColumn.RegionName, r.getRegionId());
        set(row, FocusColumn.ServiceCategory, "AI and Machine Learning");
        set(row, FocusColumn.ServiceName, r.getServiceName() != null ? r.getServiceName() : provider);
        set(row, FocusColumn.ServiceSubcategory, "Generative AI");
        set(row, FocusColumn.Tags, tags(r.getTags()));
        set(row, FocusColumn.x_Cloud, cloud);
        set(row, FocusColumn.x_Model, r.getXModel());
        set(row, FocusColumn.x_Operation, r.getXOperation() == null ? null : r.getXOperation().name());
        set(row, FocusColumn.x_Tenant, r.getXTenant());
        set(row, FocusColumn.x_Team, r.getXTeam());
        set(row, FocusColumn.x_App, r.getXApp());
        set(row, FocusColumn.x_Environment, r.getXEnvironment());
        set(row, FocusColumn.x_PriceBasis, r.getXPriceBasis());
        set(row, FocusColumn.x_CatalogVersion, r.getXCatalogVersion());
        set(row, FocusColumn.x_RollupKey, r.getXRollupKey());
        set(row, FocusColumn.x_Revision, (long) r.getXRevision());
        set(row, FocusColumn.x_IsFinal, r.getXIsFinal());
        set(row, FocusColumn.x_IsCorrection, r.getXIsCorrection());
        return row;
    }

    private static void costs(Object[] row, BigDecimal list, BigDecimal contracted) {
        set(row, FocusColumn.ListCost, list);
        set(row, FocusColumn.ContractedCost, contracted);
        set(row, FocusColumn.EffectiveCost, contracted);
        set(row, FocusColumn.BilledCost, contracted);
    }

    private static BigDecimal contracted(UsageRollup r) {
        // Rollups before v2 had no ContractedCost: there were no negotiated prices, so it is the list cost.
        return r.getContractedCost() != null ? r.getContractedCost().getAmount() : r.getListCost().getAmount();
    }

    /**
     * cost / quantity when that is exact and fits 12 decimals, else null: a unit price is never rounded into
     * existence (a price finer than 10^-6 per million, rounded per call, can leave the quotient inexact).
     */
    static BigDecimal unitPrice(BigDecimal cost, BigDecimal quantity) {
        if (quantity.signum() == 0) {
            return null;
        }
        try {
            BigDecimal unit = cost.divide(quantity);
            return fits(unit) ? unit : null;
        } catch (ArithmeticException nonTerminating) {
            return null;
        }
    }

    /** True when the amount is exactly a decimal(38,12). */
    static boolean fits(BigDecimal a) {
        try {
            return a.setScale(FocusFiles.SCALE, java.math.RoundingMode.UNNECESSARY).precision() <= FocusFiles.PRECISION;
        } catch (ArithmeticException moreDecimals) {
            return false;
        }
    }

    private static String description(UsageRollup r, String what) {
        String model = r.getXModel() != null ? r.getXModel() : "unknown model";
        String service = r.getServiceName() != null ? r.getServiceName() : r.getXCloud() != null ? r.getXCloud().name() : "an unknown cloud";
        return model + " " + what + " on " + service + (r.getRegionId() != null ? " in " + r.getRegionId() : "");
    }

    /** The model's maker from its name (Bedrock ids carry it: anthropic.claude-..., meta.llama-...); else the provider. */
    static String publisher(String model, String provider) {
        if (model == null) {
            return provider;
        }
        String m = model.toLowerCase(Locale.ROOT);
        String[][] makers = {
                {"claude", "Anthropic"}, {"anthropic", "Anthropic"}, {"gpt", "OpenAI"}, {"o1", "OpenAI"}, {"o3", "OpenAI"}, {"o4", "OpenAI"},
                {"text-embedding", "OpenAI"}, {"dall-e", "OpenAI"}, {"whisper", "OpenAI"}, {"gemini", "Google"}, {"gemma", "Google"},
                {"llama", "Meta"}, {"mistral", "Mistral AI"}, {"mixtral", "Mistral AI"}, {"codestral", "Mistral AI"},
                {"amazon.", "Amazon"}, {"nova", "Amazon"}, {"titan", "Amazon"}, {"cohere", "Cohere"}, {"command", "Cohere"},
                {"deepseek", "DeepSeek"}, {"grok", "xAI"}, {"phi-", "Microsoft"}, {"qwen", "Alibaba"}};
        for (String[] maker : makers) {
            // At the start of the name or of a dotted/slashed segment: "eu.anthropic.claude-...", "openai/gpt-oss-120b".
            if (m.startsWith(maker[0]) || m.contains("." + maker[0]) || m.contains("/" + maker[0])) {
                return maker[1];
            }
        }
        return provider;
    }

    private static String tags(Map<String, String> tags) {
        if (tags == null || tags.isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(new TreeMap<>(tags));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    static void set(Object[] row, FocusColumn c, Object value) {
        row[c.ordinal()] = value;
    }

    public static Object get(Object[] row, FocusColumn c) {
        return row[c.ordinal()];
    }
}
