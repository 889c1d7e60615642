package dev.llmaudit.cli.focus;

import static dev.llmaudit.cli.focus.FocusTestRollups.meter;
import static dev.llmaudit.cli.focus.FocusTestRollups.rollup;
import static dev.llmaudit.cli.focus.FocusTestRollups.unpriced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.RollupGranularity;
import dev.llmaudit.avro.UsageRollup;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FocusRowsTest {
    static final BillingAccounts.Account AZURE = new BillingAccounts.Account("8611537", "Contoso EA", null);

    static {
        // Copying a record through its builder loads its classes by name, as decoding does (the deserializers call this).
        dev.llmaudit.schemas.AvroTrust.trustGeneratedClasses();
    }

    /** gpt-5.5 on Azure data zone EU: 1.375 / 0.1375 / 11 USD per million input / cached / output tokens. */
    static UsageRollup azure() {
        return rollup("hour|2026-11-30T23:00:00Z|acme-eu|claims|triage|prod|azure|swedencentral|azure.ai.openai|gpt-5.5|chat|USD", 3, true,
                false, RollupGranularity.hour, "2026-11-30T23:00:00Z", Cloud.azure, "swedencentral", "gpt-5.5",
                "azure/data_zone:eu/gpt-5.5@2026-07-01", List.of(
                        meter("Input Tokens", 1_000_000, "1.375", "1.375"),
                        meter("Cached Input Tokens", 400_000, "0.055", "0.055"),
                        meter("Output Tokens", 30_000, "0.33", "0.33"),
                        unpriced("Input Tokens", 200_000)));
    }

    @Test
    void oneRowPerSkuPriceWithListCostEqualToUnitPriceTimesQuantityAndUnpricedTokensWithoutACost() {
        List<Object[]> rows = FocusRows.of(azure(), AZURE);

        assertThat(rows).extracting(r -> FocusRows.get(r, FocusColumn.SkuMeter) + " " + FocusRows.get(r, FocusColumn.x_PricingStatus))
                .containsExactly("Input Tokens priced", "Cached Input Tokens priced", "Output Tokens priced", "Input Tokens unpriced");
        Object[] input = rows.get(0);
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.PricingQuantity)).isEqualByComparingTo("1");      // million tokens
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.ListUnitPrice)).isEqualByComparingTo("1.375");
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.ConsumedQuantity)).isEqualByComparingTo("1000000");
        for (Object[] r : rows.subList(0, 3)) {
            BigDecimal unit = (BigDecimal) FocusRows.get(r, FocusColumn.ListUnitPrice);
            BigDecimal qty = (BigDecimal) FocusRows.get(r, FocusColumn.PricingQuantity);
            assertThat(unit.multiply(qty)).isEqualByComparingTo((BigDecimal) FocusRows.get(r, FocusColumn.ListCost));
            assertThat(FocusRows.get(r, FocusColumn.BilledCost)).isEqualTo(FocusRows.get(r, FocusColumn.ContractedCost));
            assertThat(FocusRows.get(r, FocusColumn.SkuPriceId)).isNotNull();
        }
        assertThat((BigDecimal) FocusRows.get(rows.get(1), FocusColumn.ListUnitPrice)).isEqualByComparingTo("0.1375");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.SkuPriceId)).as("no effective date: stable across price changes")
                .isEqualTo("azure/data_zone:eu/gpt-5.5#output");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.SkuId)).isEqualTo("azure/data_zone:eu/gpt-5.5");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.x_PriceEntry)).isEqualTo("azure/data_zone:eu/gpt-5.5@2026-07-01");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.ChargeDescription)).isEqualTo("gpt-5.5 Output Tokens on Azure OpenAI in swedencentral");
        // 200,000 tokens of calls without a price: consumed, no cost at all (never $0), no SKU price.
        Object[] unpriced = rows.get(3);
        assertThat((BigDecimal) FocusRows.get(unpriced, FocusColumn.ConsumedQuantity)).isEqualByComparingTo("200000");
        assertThat((BigDecimal) FocusRows.get(unpriced, FocusColumn.PricingQuantity)).isEqualByComparingTo("0");
        for (FocusColumn c : List.of(FocusColumn.BilledCost, FocusColumn.ListCost, FocusColumn.ContractedCost, FocusColumn.EffectiveCost,
                FocusColumn.ListUnitPrice, FocusColumn.SkuPriceId, FocusColumn.SkuId)) {
            assertThat(FocusRows.get(unpriced, c)).as(c.name()).isNull();
        }
        assertThat(rows.stream().map(r -> (BigDecimal) FocusRows.get(r, FocusColumn.ListCost)).filter(java.util.Objects::nonNull)
                .reduce(BigDecimal.ZERO, BigDecimal::add)).isEqualByComparingTo("1.76");
    }

    @Test
    void mandatoryColumnsAreFilledAndTheBillingPeriodIsTheUtcMonth() {
        Object[] row = FocusRows.of(azure(), AZURE).get(0);
        for (FocusColumn c : List.of(FocusColumn.BilledCost, FocusColumn.BillingAccountId, FocusColumn.BillingCurrency,
                FocusColumn.BillingPeriodEnd, FocusColumn.BillingPeriodStart, FocusColumn.ChargeCategory, FocusColumn.ChargeDescription,
                FocusColumn.ChargePeriodEnd, FocusColumn.ChargePeriodStart, FocusColumn.ContractedCost, FocusColumn.EffectiveCost,
                FocusColumn.InvoiceIssuerName, FocusColumn.ListCost, FocusColumn.PricingQuantity, FocusColumn.PricingUnit,
                FocusColumn.ProviderName, FocusColumn.PublisherName, FocusColumn.ServiceCategory, FocusColumn.ServiceName)) {
            assertThat(FocusRows.get(row, c)).as(c.name()).isNotNull();
        }
        assertThat(FocusRows.get(row, FocusColumn.ChargeClass)).isNull();
        // The window 23:00-24:00 on 30 November belongs to November.
        assertThat(FocusRows.get(row, FocusColumn.BillingPeriodStart)).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(FocusRows.get(row, FocusColumn.BillingPeriodEnd)).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(FocusRows.get(row, FocusColumn.ProviderName)).isEqualTo("Microsoft");
        assertThat(FocusRows.get(row, FocusColumn.InvoiceIssuerName)).isEqualTo("Microsoft");
        assertThat(FocusRows.get(row, FocusColumn.PublisherName)).isEqualTo("OpenAI");
        assertThat(FocusRows.get(row, FocusColumn.PricingUnit)).isEqualTo("1000000 Tokens");
        assertThat(FocusRows.get(row, FocusColumn.Tags)).isEqualTo("{\"team\":\"claims\",\"tenant\":\"acme-eu\"}");
        assertThat(FocusRows.get(FocusRows.of(azure(), new BillingAccounts.Account("1", null, "Contoso Reseller GmbH")).get(0),
                FocusColumn.InvoiceIssuerName)).isEqualTo("Contoso Reseller GmbH");
    }

    @Test
    void twoScopesInOneRegionAreTwoSkuPricesAndARollupWithoutMetersIsOneRowWithItsTotals() {
        UsageRollup two = rollup("k", 0, true, false, RollupGranularity.hour, "2026-11-30T23:00:00Z", Cloud.azure, "swedencentral", "gpt-5.5",
                "azure/data_zone:eu/gpt-5.5@2026-07-01", List.of(
                        meter("Input Tokens", 1_000_000, "1.375", "1.375"),
                        meter("azure/global/gpt-5.5@2026-07-01", "Input Tokens", 1_000_000, "1.25", "1.25")));
        List<Object[]> rows = FocusRows.of(two, AZURE);
        assertThat(rows).extracting(r -> FocusRows.get(r, FocusColumn.SkuPriceId) + " " + ((BigDecimal) FocusRows.get(r, FocusColumn.ListUnitPrice))
                .stripTrailingZeros().toPlainString()).containsExactly("azure/data_zone:eu/gpt-5.5#input 1.375", "azure/global/gpt-5.5#input 1.25");

        UsageRollup legacy = UsageRollup.newBuilder(azure()).setXSkuMeters(null).build();
        List<Object[]> one = FocusRows.of(legacy, AZURE);
        assertThat(one).hasSize(1);
        assertThat((BigDecimal) FocusRows.get(one.get(0), FocusColumn.ListCost)).isEqualByComparingTo("1.76");
        assertThat((BigDecimal) FocusRows.get(one.get(0), FocusColumn.ConsumedQuantity)).isEqualByComparingTo("1630000");
        assertThat(FocusRows.get(one.get(0), FocusColumn.SkuMeter)).isNull();
        assertThat(FocusRows.get(one.get(0), FocusColumn.x_PricingStatus)).isEqualTo("meters unknown");
    }

    @Test
    void aRollupWhoseMetersDoNotAddUpOrDoNotFitIsRefusedWithTheReason() {
        assertThat(FocusRows.problem(azure())).isNull();
        UsageRollup wrong = UsageRollup.newBuilder(azure()).setListCost(FocusTestRollups.usd("1.77")).build();
        assertThat(FocusRows.problem(wrong)).contains("do not add up").contains("1.760000000000").contains("1.77");
        UsageRollup huge = UsageRollup.newBuilder(azure()).setXSkuMeters(null)
                .setListCost(dev.llmaudit.avro.Money.newBuilder().setAmount(new BigDecimal("1e30")).setCurrency("USD").build()).build();
        assertThat(FocusRows.problem(huge)).contains("does not fit decimal(38,12)");
        UsageRollup odd = UsageRollup.newBuilder(azure()).build();
        odd.getXSkuMeters().get(0).setSkuMeter("Image Tokens");
        assertThat(FocusRows.problem(odd)).contains("unknown SkuMeter \"Image Tokens\"");
        // A cost on tokens without a price entry would vanish from the files (unpriced rows carry no cost): refused.
        UsageRollup costly = UsageRollup.newBuilder(azure()).build();
        costly.getXSkuMeters().get(3).setListCost(FocusTestRollups.usd("0.01"));
        costly.setListCost(FocusTestRollups.usd("1.77"));
        assertThat(FocusRows.problem(costly)).contains("Input Tokens of no price entry");
    }

    @Test
    void csvTextThatASpreadsheetWouldRunIsDefused() {
        assertThat(FocusFiles.spreadsheetSafe("=HYPERLINK(\"http://x\")")).isEqualTo("'=HYPERLINK(\"http://x\")");
        assertThat(FocusFiles.spreadsheetSafe("@SUM(A1)")).startsWith("'");
        assertThat(FocusFiles.spreadsheetSafe("claims")).isEqualTo("claims");
    }

    @Test
    void aNegotiatedOrCorrectedEntryIsTheSameSkuAsTheListOne() {
        assertThat(FocusRows.sku("negotiated:acme-eu:aws/data_zone:eu/anthropic.claude-sonnet-4-5-20250929-v1:0@2026-10-01"))
                .isEqualTo("aws/data_zone:eu/anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(FocusRows.sku("corrected:aws/data_zone:eu/anthropic.claude-opus-4-5@2026-07-01")).isEqualTo("aws/data_zone:eu/anthropic.claude-opus-4-5");
        assertThat(FocusRows.sku("azure/data_zone:eu/gpt-5.5@2026-07-01")).isEqualTo("azure/data_zone:eu/gpt-5.5");
    }

    @Test
    void publishersComeFromTheModelNameElseTheProvider() {
        assertThat(FocusRows.publisher("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "AWS")).isEqualTo("Anthropic");
        assertThat(FocusRows.publisher("openai.gpt-oss-120b-1:0", "AWS")).isEqualTo("OpenAI");
        assertThat(FocusRows.publisher("meta.llama3-3-70b-instruct-v1:0", "AWS")).isEqualTo("Meta");
        assertThat(FocusRows.publisher("gemini-2.5-pro", "Google Cloud")).isEqualTo("Google");
        assertThat(FocusRows.publisher("claims-gpt55", "Microsoft")).as("an Azure deployment named by its owner").isEqualTo("Microsoft");
    }

    @Test
    void billingAccountsComeFromTheConfigFileAndFlagsAndBadOnesAreRefusedByName(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("focus.yaml");
        Files.writeString(file, """
                billing_accounts:
                  azure: {id: "8611537", name: "Contoso EA"}
                  aws: {id: "123456789012", invoice_issuer: "Contoso Reseller"}
                """);
        BillingAccounts a = BillingAccounts.load(file).with(Map.ofEntries(BillingAccounts.parse("openai=org-4Fz2,Contoso")));
        assertThat(a.of("azure")).isEqualTo(new BillingAccounts.Account("8611537", "Contoso EA", null));
        assertThat(a.of("aws").invoiceIssuer()).isEqualTo("Contoso Reseller");
        assertThat(a.of("openai")).isEqualTo(new BillingAccounts.Account("org-4Fz2", "Contoso", null));
        assertThat(a.of("gcp")).isNull();

        Files.writeString(file, "billing_accounts:\n  azure: {id: \"1\", nam: \"typo\"}\n");
        assertThatThrownBy(() -> BillingAccounts.load(file)).hasMessageContaining("billing_accounts.azure: unknown key \"nam\"");
        Files.writeString(file, "billing_accounts:\n  azur: {id: \"1\"}\n");
        assertThatThrownBy(() -> BillingAccounts.load(file)).hasMessageContaining("unknown cloud \"azur\"");
        Files.writeString(file, "billing_accounts:\n  aws: {name: \"no id\"}\n");
        assertThatThrownBy(() -> BillingAccounts.load(file)).hasMessageContaining("billing_accounts.aws: id is required");
        assertThatThrownBy(() -> BillingAccounts.parse("aws")).hasMessageContaining("expected CLOUD=ID");
    }

    @Test
    void aDecimalThatWouldNeedRoundingIsRefusedNotRounded() {
        assertThatThrownBy(() -> FocusFiles.fixed(new BigDecimal("0.0000000000001"), FocusColumn.ListCost))
                .hasMessageContaining("ListCost 0.0000000000001 has more than 12 decimal places");
        byte[] minusOne = FocusFiles.fixed(new BigDecimal("-0.000000000001"), FocusColumn.ListCost);
        assertThat(new java.math.BigInteger(minusOne)).isEqualTo(java.math.BigInteger.valueOf(-1));
    }

    @Test
    void theReadmeColumnTableIsTheDeclaredColumnsInOrder() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> rows = readme.lines().filter(l -> l.startsWith("| `") && l.contains("` | ") && readme.indexOf("### Columns") < readme.indexOf(l))
                .map(l -> l.substring(3, l.indexOf('`', 3))).toList();
        assertThat(rows).as("cli/README.md's FOCUS column table").containsSubsequence(
                java.util.Arrays.stream(FocusColumn.values()).map(Enum::name).toList());
        for (FocusColumn c : FocusColumn.values()) {
            assertThat(readme).contains("| `" + c.name() + "` | ").contains(c.meaning().replace("|", "\\|"));
        }
    }
}
