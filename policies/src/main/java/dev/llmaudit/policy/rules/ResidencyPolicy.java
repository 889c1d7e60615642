package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.catalog.DataZone;
import dev.llmaudit.policy.catalog.ModelNames;
import dev.llmaudit.policy.catalog.ProcessingLocation;
import dev.llmaudit.policy.catalog.Region;
import dev.llmaudit.policy.model.FindingIds;
import dev.llmaudit.policy.model.Finding;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Data with a residency requirement must be <em>processed</em> in allowed jurisdictions. The
 * processing location accounts for the deployment scope: a Bedrock {@code global.} profile or an
 * Azure Global deployment may process anywhere, so it breaks an EU requirement even from an EU
 * endpoint; an {@code eu.} profile or an EU Data Zone deployment does not.
 *
 * @param allowed the allowed jurisdictions; empty means "the call's own {@code data_residency}"
 *                (and the policy then applies only to calls that declare one)
 */
public record ResidencyPolicy(PolicyMeta meta, Set<String> allowed) implements Policy {
    public ResidencyPolicy {
        allowed = Set.copyOf(allowed);
    }

    /** The jurisdictions this policy allows for the call, or empty when it sets no requirement for it. */
    public Set<String> allowedFor(LlmCall call) {
        return allowedFor(call.dataResidency());
    }

    /** What the policy allows for data declaring this residency (null: none declared). */
    public Set<String> allowedFor(String declaredResidency) {
        if (!allowed.isEmpty()) {
            return allowed;
        }
        return declaredResidency == null ? Set.of() : Set.of(declaredResidency);
    }

    @Override
    public void check(CheckContext ctx) {
        LlmCall call = ctx.call();
        Set<String> declared = allowedFor(call);
        if (declared.isEmpty()) {
            return;
        }
        Set<String> ok = ctx.regions().expand(declared);
        ProcessingLocation where = ctx.location();
        if (where.within(ok)) {
            return;
        }
        String data = (call.dataClassification() == null ? "data" : call.dataClassification())
                + (call.dataResidency() == null ? "" : " for " + call.dataResidency());
        String allowedText = String.join(", ", new TreeSet<>(declared));
        String what = where.known()
                ? data + " processed via " + where.description()
                : data + " with unverifiable processing location (" + where.unknownReason() + ")";
        String message = what + "; policy " + meta.id() + " allows " + allowedText + " jurisdictions only; " + suggestion(ctx, ok);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("allowed_jurisdictions", allowedText);
        details.put("processing_jurisdictions", where.known() ? String.join(", ", new TreeSet<>(where.jurisdictions())) : "unknown");
        details.put("scope", where.scope() == null ? "unknown" : where.scope().id());
        if (where.zone() != null) {
            details.put("data_zone", where.zone());
        }
        ctx.add(new Finding(FindingIds.of(call.eventId(), meta.id()), meta.id(), meta.kind(), meta.severity(),
                call.eventId(), message, details));
    }

    /** What would have been allowed, as concrete as the catalogs allow. */
    static String suggestion(CheckContext ctx, Set<String> ok) {
        LlmCall call = ctx.call();
        String cloud = call.cloud();
        if (cloud == null) {
            return "send cloud and region with the event so residency can be verified";
        }
        Optional<DataZone> zone = ctx.regions().allZones().stream()
                .filter(z -> z.cloud().equals(cloud) && !z.jurisdictions().contains(ProcessingLocation.ANYWHERE) && ok.containsAll(z.jurisdictions()))
                .findFirst();
        Optional<Region> region = ctx.regions().regions(cloud).stream().filter(r -> ok.contains(r.jurisdiction())).findFirst();
        if (cloud.equals("aws") && zone.isPresent()) {
            String base = ModelNames.withoutProfile(call.model() == null ? "" : call.model());
            return "use the " + zone.get().id() + ". profile" + (base.isEmpty() ? "" : " (" + zone.get().id() + "." + base + ")")
                    + region.map(r -> " or the model in-region in " + r.id()).orElse("");
        }
        if (cloud.equals("azure") && (zone.isPresent() || region.isPresent())) {
            return "use " + zone.map(z -> "an Azure Data Zone " + z.id().toUpperCase(java.util.Locale.ROOT) + " deployment").orElse("")
                    + (zone.isPresent() && region.isPresent() ? " or " : "")
                    + region.map(r -> "a regional deployment in " + r.id()).orElse("");
        }
        if (region.isPresent()) {
            return "use a regional endpoint in " + region.get().id();
        }
        if (ctx.location().scope() == Scope.GLOBAL || !ctx.location().known()) {
            return "route the call to a " + cloud + " region in " + String.join(" or ", new TreeSet<>(ok));
        }
        return "route the call to a region in " + String.join(" or ", new TreeSet<>(ok));
    }
}
