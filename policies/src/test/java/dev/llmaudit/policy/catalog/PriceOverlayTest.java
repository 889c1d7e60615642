package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.engine.PolicyBundle;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** catalog/overlay.yaml: negotiated and corrected prices over the imported catalog, validated like the rest. */
class PriceOverlayTest {
    @TempDir
    Path dir;

    static final Instant AT = Instant.parse("2026-11-02T10:00:00Z");

    LlmCall call(String tenant) {
        return LlmCall.builder("e", AT).tenant(tenant).cloud("azure").region("swedencentral").scope(Scope.DATA_ZONE).requestModel("gpt-x")
                .inputTokens(1_000_000L).outputTokens(0L).build();
    }

    @Test
    void aTenantsNegotiatedPriceWinsForThatTenantOnlyAndACorrectionForEveryone() throws Exception {
        Path bundle = TestBundles.write(dir, "p.yaml", "policies: []\n");
        Files.writeString(bundle.resolve("catalog/overlay.yaml"), """
                version: "overlay-t"
                currency: USD
                entries:
                  - {cloud: azure, model: "gpt-x", scope: data_zone, zone: eu, tenant: acme, effective_from: 2026-09-01, input: "4", output: "20",
                     basis: negotiated, source: "EA amendment 7"}
                  - {cloud: azure, model: "gpt-x", scope: data_zone, zone: eu, effective_from: 2026-01-01, input: "5", output: "30",
                     basis: corrected, source: "Azure retail price list"}
                """);
        BundleLoader.Result r = BundleLoader.load(bundle);
        assertThat(r.problems()).isEmpty();
        PolicyBundle b = r.bundle();
        assertThat(b.prices().version()).isEqualTo("test-prices-1+overlay-t");

        Pricing acme = b.prices().price(call("acme"), b.regions().processing(call("acme")));
        assertThat(acme.total()).isEqualByComparingTo("4");
        assertThat(acme.entry().basis()).isEqualTo(PriceBasis.NEGOTIATED);
        assertThat(acme.entry().id()).isEqualTo("negotiated:acme:azure/data_zone:eu/gpt-x@2026-09-01");
        assertThat(acme.listTotal()).as("FOCUS ListCost: the same call at the list (here corrected) price").isEqualByComparingTo("5");

        Pricing other = b.prices().price(call("globex"), b.regions().processing(call("globex")));
        assertThat(other.total()).as("the correction (5) replaces the published 4.40 for everyone else").isEqualByComparingTo("5");
        assertThat(other.entry().basisText()).isEqualTo("corrected");
        assertThat(other.listTotal()).isEqualByComparingTo(other.total());

        // Comparisons use list prices: negotiated prices are never an "offer" to others.
        assertThat(b.prices().offers("gpt-x", AT)).noneMatch(e -> e.basis() == PriceBasis.NEGOTIATED)
                .anyMatch(e -> e.basis() == PriceBasis.CORRECTED).noneMatch(e -> e.id().equals("azure/data_zone:eu/gpt-x@2026-06-01"));
    }

    @Test
    void overlayEntriesAreValidated() throws Exception {
        Path bundle = TestBundles.write(dir, "p.yaml", "policies: []\n");
        Files.writeString(bundle.resolve("catalog/overlay.yaml"), """
                version: "overlay-t"
                currency: USD
                entries:
                  - {cloud: azure, model: "gpt-x", scope: global, effective_from: 2026-01-01, input: "1", output: "2", basis: negotiated}
                  - {cloud: azure, model: "gpt-x", scope: global, effective_from: 2026-01-01, input: "1", output: "2", source: "x"}
                  - {cloud: azure, model: "gpt-x", scope: global, tenant: acme, effective_from: 2026-01-01, input: "1", output: "2", basis: corrected, source: "x"}
                """);
        Files.writeString(bundle.resolve("catalog/prices-extra.yaml"), """
                version: "extra"
                currency: USD
                entries:
                  - {cloud: azure, model: "gpt-y", scope: global, effective_from: 2026-01-01, input: "1", output: "2", basis: negotiated, source: "x"}
                  - {cloud: azure, model: "gpt-y", scope: regional, effective_from: 2026-01-01, input: "1", output: "2", basis: derived, rule: "nope"}
                """);
        assertThat(BundleLoader.load(bundle).problems()).extracting(p -> p.message()).containsExactlyInAnyOrder(
                "entries[0]: an overlay price names its source (the contract, or the page that shows the right figure)",
                "entries[1]: overlay.yaml holds negotiated or corrected prices; set basis: negotiated or basis: corrected",
                "entries[2].tenant: only negotiated prices are per tenant",
                "entries[0].basis: negotiated prices belong in catalog/overlay.yaml (applied over the imported catalog)",
                "entries[1].rule: no scope rule \"nope\" in catalog/scope-rules.yaml");
    }

    @Test
    void aNegotiatedPriceForARouteWithoutAListPriceHasNoListCost() throws Exception {
        Path bundle = TestBundles.write(dir, "p.yaml", "policies: []\n");
        Files.writeString(bundle.resolve("catalog/overlay.yaml"), """
                version: "overlay-t"
                currency: USD
                entries:
                  - {cloud: azure, model: "gpt-private", scope: data_zone, zone: eu, tenant: acme, effective_from: 2026-09-01, input: "2",
                     output: "8", basis: negotiated, source: "private deployment contract"}
                """);
        PolicyBundle b = BundleLoader.load(bundle).bundle();
        LlmCall c = LlmCall.builder("e", AT).tenant("acme").cloud("azure").region("swedencentral").scope(Scope.DATA_ZONE)
                .requestModel("gpt-private").inputTokens(500_000L).outputTokens(0L).build();
        Pricing p = b.prices().price(c, b.regions().processing(c));
        assertThat(p.total()).isEqualByComparingTo("1");
        assertThat(p.listTotal()).isNull();
    }
}
