package dev.llmaudit.cli.focus;

/**
 * The columns of the FOCUS export, declared once: the Parquet schema, the CSV header, the manifest
 * and the README's column table all come from here (in this order: FOCUS columns, then {@code x_}
 * ones, as the specification asks). Every FOCUS 1.2 mandatory column is present.
 */
public enum FocusColumn {
    BilledCost(Type.DECIMAL, "What the calls cost at the prices the tenant pays (negotiated where the overlay has one, else list); equals ContractedCost. Null on unpriced rows."),
    BillingAccountId(Type.STRING, "The billing account configured for the cloud (--billing-account or the config file)."),
    BillingAccountName(Type.STRING, "Its configured name; null when none is configured."),
    BillingCurrency(Type.STRING, "ISO 4217 currency of every cost column."),
    BillingPeriodEnd(Type.TIMESTAMP, "Start of the next UTC month (exclusive)."),
    BillingPeriodStart(Type.TIMESTAMP, "Start of the UTC month of the charge period."),
    ChargeCategory(Type.STRING, "Usage."),
    ChargeClass(Type.STRING, "Null: llm-audit does not know which billing periods are invoiced, so it marks nothing as a Correction of one."),
    ChargeDescription(Type.STRING, "e.g. \"gpt-5.5 Output Tokens on Azure OpenAI in swedencentral\"."),
    ChargeFrequency(Type.STRING, "Usage-Based."),
    ChargePeriodEnd(Type.TIMESTAMP, "End of the rollup window (exclusive)."),
    ChargePeriodStart(Type.TIMESTAMP, "Start of the rollup window (inclusive)."),
    ConsumedQuantity(Type.DECIMAL, "Tokens of this meter (priced by this SKU price, or without a price on an unpriced row)."),
    ConsumedUnit(Type.STRING, "Tokens."),
    ContractedCost(Type.DECIMAL, "The priced tokens at the prices the tenant pays. Null on unpriced rows."),
    ContractedUnitPrice(Type.DECIMAL, "ContractedCost / PricingQuantity (per million tokens); null on unpriced rows."),
    EffectiveCost(Type.DECIMAL, "Equals ContractedCost: no commitments or credits are known to llm-audit. Null on unpriced rows."),
    InvoiceIssuerName(Type.STRING, "Who invoices the cloud's usage: the provider unless configured (a reseller)."),
    ListCost(Type.DECIMAL, "The priced tokens at list prices (published, derived by a scope rule, or corrected). Null on unpriced rows."),
    ListUnitPrice(Type.DECIMAL, "ListCost / PricingQuantity (per million tokens); null on unpriced rows."),
    PricingCategory(Type.STRING, "Standard (on-demand token prices)."),
    PricingQuantity(Type.DECIMAL, "ConsumedQuantity in PricingUnit (millions of tokens); 0 on unpriced rows."),
    PricingUnit(Type.STRING, "1000000 Tokens, the unit of the catalog's prices."),
    ProviderName(Type.STRING, "Who served the calls: Microsoft, AWS, Google Cloud, OpenAI, Anthropic (else the call's provider id)."),
    PublisherName(Type.STRING, "Who made the model (OpenAI, Anthropic, Google, Meta, Mistral AI, ...); the provider when not recognized."),
    RegionId(Type.STRING, "The cloud region of the calls; null when the route has none (e.g. a global endpoint)."),
    RegionName(Type.STRING, "Same as RegionId: llm-audit keeps no display names of regions."),
    ServiceCategory(Type.STRING, "AI and Machine Learning."),
    ServiceName(Type.STRING, "Azure OpenAI, Amazon Bedrock, Vertex AI, OpenAI API, Anthropic API."),
    ServiceSubcategory(Type.STRING, "Generative AI."),
    SkuId(Type.STRING, "The catalog entry that priced the row without its effective date or overlay prefix (cloud, scope, model); null on unpriced rows."),
    SkuMeter(Type.STRING, "Input Tokens (uncached), Cached Input Tokens, Output Tokens (non-reasoning) or Reasoning Tokens."),
    SkuPriceId(Type.STRING, "SkuId and meter, e.g. azure/data_zone:eu/gpt-5.5#output: stable across price changes, as FOCUS 1.3 asks; null on unpriced rows."),
    Tags(Type.JSON, "tenant, team, app and environment, as a JSON object."),
    x_Cloud(Type.STRING, "azure, aws, gcp, openai, anthropic or other."),
    x_Model(Type.STRING, "The model as the calls named it."),
    x_Operation(Type.STRING, "chat, responses, embeddings, ..."),
    x_Tenant(Type.STRING, "The calls' tenant."),
    x_Team(Type.STRING, "The calls' team."),
    x_App(Type.STRING, "The calling app."),
    x_Environment(Type.STRING, "prod, staging, ..."),
    x_PricingStatus(Type.STRING, "priced; unpriced (tokens of calls without a catalog price: costs null, never $0); or meters unknown (a rollup without a meter split: one row with its totals)."),
    x_PriceBasis(Type.STRING, "published, derived (rule), negotiated or corrected: what the rollup's prices are (comma-separated when its entries differ)."),
    x_CatalogVersion(Type.STRING, "The price catalog version(s) used."),
    x_PriceEntry(Type.STRING, "The dated catalog entry that priced the row, e.g. azure/data_zone:eu/gpt-5.5@2026-07-01 (all of the rollup's, comma-separated, when meters are unknown)."),
    x_RollupKey(Type.STRING, "The llm.usage.rollups key the row comes from (with #late: for a correction)."),
    x_Revision(Type.INTEGER, "That record's revision: the export holds the latest one of each key."),
    x_IsFinal(Type.BOOLEAN, "False while the window is still open (a provisional revision that later revisions replace)."),
    x_IsCorrection(Type.BOOLEAN, "True for calls that arrived after the window's allowed lateness (added, never replacing).");

    /** How a column is stored: decimals exact (DECIMAL(38,12) in Parquet), times as UTC instants. */
    public enum Type { STRING, DECIMAL, INTEGER, TIMESTAMP, BOOLEAN, JSON }

    public static final String FOCUS_VERSION = "1.2";

    private final Type type;
    private final String meaning;

    FocusColumn(Type type, String meaning) {
        this.type = type;
        this.meaning = meaning;
    }

    public Type type() {
        return type;
    }

    /** What the column holds in this export (README table). */
    public String meaning() {
        return meaning;
    }

    /** True for a FOCUS column, false for an {@code x_} one. */
    public boolean isFocus() {
        return !name().startsWith("x_");
    }
}
