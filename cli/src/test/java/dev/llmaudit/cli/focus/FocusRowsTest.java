package dev.llmaudit.cli.focus;

import static dev.llmaudit.cli.focus.FocusTestRollups.meter;
import static dev.llmaudit.cli.focus.FocusTestRollups.rollup;
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
                        meter("Input Tokens", 1_200_000, 1_000_000, "1.375", "1.375"),
                        meter("Cached Input Tokens", 400_000, 400_000, "0.055", "0.055"),
                        meter("Output Tokens", 30_000, 30_000, "0.33", "0.33"),
                        meter("Reasoning Tokens", 0, 0, "0", "0")));
    }

    @Test
    void oneRowPerUsedMeterWithListCostEqualToUnitPriceTimesQuantity() {
        List<Object[]> rows = FocusRows.of(azure(), AZURE);

        assertThat(rows).extracting(r -> FocusRows.get(r, FocusColumn.SkuMeter))
                .as("a meter the calls did not use has no row").containsExactly("Input Tokens", "Cached Input Tokens", "Output Tokens");
        Object[] input = rows.get(0);
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.PricingQuantity)).isEqualByComparingTo("1");      // million tokens
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.ListUnitPrice)).isEqualByComparingTo("1.375");
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.ConsumedQuantity)).isEqualByComparingTo("1200000");
        assertThat((BigDecimal) FocusRows.get(input, FocusColumn.x_UnpricedQuantity))
                .as("200,000 tokens of unpriced calls: consumed, not priced, not $0 of anything").isEqualByComparingTo("200000");
        for (Object[] r : rows) {
            BigDecimal unit = (BigDecimal) FocusRows.get(r, FocusColumn.ListUnitPrice);
            BigDecimal qty = (BigDecimal) FocusRows.get(r, FocusColumn.PricingQuantity);
            assertThat(unit.multiply(qty)).isEqualByComparingTo((BigDecimal) FocusRows.get(r, FocusColumn.ListCost));
            assertThat(FocusRows.get(r, FocusColumn.BilledCost)).isEqualTo(FocusRows.get(r, FocusColumn.ContractedCost));
        }
        assertThat((BigDecimal) FocusRows.get(rows.get(1), FocusColumn.ListUnitPrice)).isEqualByComparingTo("0.1375");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.SkuPriceId)).isEqualTo("azure/data_zone:eu/gpt-5.5@2026-07-01#output");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.SkuId)).isEqualTo("azure/data_zone:eu/gpt-5.5");
        assertThat(FocusRows.get(rows.get(2), FocusColumn.ChargeDescription)).isEqualTo("gpt-5.5 Output Tokens on Azure OpenAI in swedencentral");
        assertThat(rows.stream().map(r -> (BigDecimal) FocusRows.get(r, FocusColumn.ListCost)).reduce(BigDecimal.ZERO, BigDecimal::add))
                .isEqualByComparingTo("1.76");
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
    void aRowPricedBySeveralEntriesHasNoUnitPriceAndARollupWithoutMetersIsOneRowWithItsTotals() {
        UsageRollup mixed = UsageRollup.newBuilder(azure()).setSkuId("azure/global/gpt-5.5@2026-07-01,azure/data_zone:eu/gpt-5.5@2026-07-01").build();
        Object[] row = FocusRows.of(mixed, AZURE).get(0);
        assertThat(FocusRows.get(row, FocusColumn.ListUnitPrice)).isNull();
        assertThat(FocusRows.get(row, FocusColumn.SkuId)).isNull();
        assertThat(FocusRows.get(row, FocusColumn.x_PriceEntries)).isEqualTo(mixed.getSkuId());

        UsageRollup legacy = UsageRollup.newBuilder(azure()).setXSkuMeters(null).build();
        List<Object[]> rows = FocusRows.of(legacy, AZURE);
        assertThat(rows).hasSize(1);
        assertThat((BigDecimal) FocusRows.get(rows.get(0), FocusColumn.ListCost)).isEqualByComparingTo("1.76");
        assertThat((BigDecimal) FocusRows.get(rows.get(0), FocusColumn.ConsumedQuantity)).isEqualByComparingTo("1630000");
        assertThat(FocusRows.get(rows.get(0), FocusColumn.SkuMeter)).isNull();
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
