package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.Scope;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * The list price of one model on one cloud, for a region or deployment scope, from a date on.
 * Prices are per million tokens, exact decimals.
 *
 * @param region the region it applies to, or null for any region of the cloud
 * @param scope the deployment scope it applies to, or null for any scope (used when the source does
 *              not distinguish, e.g. LiteLLM's plain {@code azure/<model>} keys)
 * @param zone the data zone for data-zone prices ({@code eu}, {@code us}, ...), else null
 * @param cachedInputPerMillion price of prompt-cache reads, or null (then the input price applies)
 * @param reasoningPerMillion price of reasoning tokens, or null (then the output price applies)
 * @param source where the price came from (e.g. the LiteLLM key), for audit
 * @param location file:line of the entry in the catalog
 * @param basis published, derived by a scope rule, negotiated or corrected (see {@link PriceBasis})
 * @param rule the scope rule that derived it (derived entries only), else null
 * @param tenant negotiated prices of one tenant only (the llm-audit tenant: events carry no cloud account), else null
 */
public record PriceEntry(String cloud, String provider, String model, String region, Scope scope, String zone,
                         LocalDate effectiveFrom, BigDecimal inputPerMillion, BigDecimal outputPerMillion,
                         BigDecimal cachedInputPerMillion, BigDecimal reasoningPerMillion, String source, String location,
                         PriceBasis basis, String rule, String tenant) {
    public PriceEntry {
        basis = basis == null ? PriceBasis.PUBLISHED : basis;
    }

    /** A published entry (the form most tests and the importer's plain entries take). */
    public PriceEntry(String cloud, String provider, String model, String region, Scope scope, String zone, LocalDate effectiveFrom,
                      BigDecimal inputPerMillion, BigDecimal outputPerMillion, BigDecimal cachedInputPerMillion,
                      BigDecimal reasoningPerMillion, String source, String location) {
        this(cloud, provider, model, region, scope, zone, effectiveFrom, inputPerMillion, outputPerMillion, cachedInputPerMillion,
                reasoningPerMillion, source, location, PriceBasis.PUBLISHED, null, null);
    }

    /**
     * Stable id naming what the entry covers and since when; recorded on every priced event. Overlay
     * entries say so first ({@code negotiated:acme:aws/...}, {@code corrected:aws/...}).
     */
    public String id() {
        StringBuilder b = new StringBuilder();
        if (basis == PriceBasis.NEGOTIATED || basis == PriceBasis.CORRECTED) {
            b.append(basis.id()).append(':');
            if (tenant != null) {
                b.append(tenant).append(':');
            }
        }
        b.append(cloud).append('/');
        if (scope == null) {
            b.append("any");
        } else {
            b.append(scope.id());
        }
        if (zone != null) {
            b.append(':').append(zone);
        }
        if (region != null) {
            b.append(':').append(region);
        }
        return b.append('/').append(model).append('@').append(effectiveFrom).toString();
    }

    /** Start of validity: midnight UTC of {@link #effectiveFrom()}. */
    public Instant effectiveInstant() {
        return effectiveFrom.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** Same coverage (cloud, model, region, scope, zone, overlay and tenant): entries differing only in date are versions of each other. */
    boolean sameCoverage(PriceEntry o) {
        return cloud.equals(o.cloud) && model.equals(o.model) && java.util.Objects.equals(region, o.region)
                && scope == o.scope && java.util.Objects.equals(zone, o.zone) && overlay() == o.overlay()
                && java.util.Objects.equals(tenant, o.tenant);
    }

    /** From the bundle's overlay (negotiated or corrected), applied over the imported catalog. */
    public boolean overlay() {
        return basis == PriceBasis.NEGOTIATED || basis == PriceBasis.CORRECTED;
    }

    /** How the entry's basis reads in findings and records: {@code published}, {@code derived (rule x)}, {@code negotiated}, ... */
    public String basisText() {
        return basis == PriceBasis.DERIVED && rule != null ? "derived (rule " + rule + ")" : basis.id();
    }
}
