package dev.llmaudit.policy.catalog;

import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Each cloud's regions and data zones mapped to countries and jurisdictions, and the rule that
 * turns a call's cloud, region and deployment scope into where its data may be processed.
 */
public final class RegionCatalog {
    private final String version;
    private final Map<String, Map<String, Region>> regions;
    private final Map<String, Map<String, DataZone>> zones;
    private final Map<String, Set<String>> groups;
    private final Map<String, Set<String>> jurisdictionSets = new java.util.HashMap<>();
    private final Map<String, List<Region>> regionLists = new java.util.HashMap<>();
    private final List<Region> allRegions;
    private final List<DataZone> allZones;

    public RegionCatalog(String version, Collection<Region> regions, Collection<DataZone> zones) {
        this(version, regions, zones, Map.of());
    }

    /** @param groups names for sets of jurisdictions ({@code apac: [jp, kr, ...]}) usable in policies and events */
    public RegionCatalog(String version, Collection<Region> regions, Collection<DataZone> zones, Map<String, Set<String>> groups) {
        this.version = version;
        this.groups = Map.copyOf(groups);
        Map<String, Map<String, Region>> r = new LinkedHashMap<>();
        for (Region region : regions) {
            r.computeIfAbsent(region.cloud(), c -> new LinkedHashMap<>()).put(region.id(), region);
        }
        Map<String, Map<String, DataZone>> z = new LinkedHashMap<>();
        for (DataZone zone : zones) {
            z.computeIfAbsent(zone.cloud(), c -> new LinkedHashMap<>()).put(zone.id(), zone);
        }
        this.regions = r;
        this.zones = z;
        for (Region region : regions) {
            jurisdictionSets.computeIfAbsent(region.jurisdiction(), Set::of);
        }
        r.forEach((cloud, byId) -> regionLists.put(cloud, List.copyOf(byId.values())));
        this.allRegions = List.copyOf(regions);
        List<DataZone> zoneList = new ArrayList<>();
        z.values().forEach(m -> zoneList.addAll(m.values()));
        this.allZones = List.copyOf(zoneList);
    }

    public String version() {
        return version;
    }

    /** Replaces group names ({@code apac}) by the jurisdictions they stand for. */
    public Set<String> expand(Set<String> jurisdictions) {
        boolean grouped = false;
        for (String j : jurisdictions) {
            if (groups.containsKey(j)) {
                grouped = true;
                break;
            }
        }
        if (!grouped) {
            return jurisdictions;
        }
        Set<String> cached = expanded.get(jurisdictions);
        if (cached != null) {
            return cached;
        }
        Set<String> out = new java.util.TreeSet<>();
        for (String j : jurisdictions) {
            out.addAll(groups.getOrDefault(j, Set.of(j)));
        }
        Set<String> result = java.util.Collections.unmodifiableSet(out);
        if (expanded.size() < 1024) {
            expanded.put(Set.copyOf(jurisdictions), result);
        }
        return result;
    }

    /** Expansions of jurisdiction sets that name groups: policies ask for the same few sets on every call. */
    private final Map<Set<String>, Set<String>> expanded = new java.util.concurrent.ConcurrentHashMap<>();

    public Map<String, Set<String>> groups() {
        return groups;
    }

    public Optional<Region> region(String cloud, String id) {
        if (cloud == null || id == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(regions.getOrDefault(cloud, Map.of()).get(id));
    }

    public Optional<DataZone> zone(String cloud, String id) {
        if (cloud == null || id == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(zones.getOrDefault(cloud, Map.of()).get(id));
    }

    public List<Region> regions(String cloud) {
        return regionLists.getOrDefault(cloud, List.of());
    }

    /** The first region (catalog order) of the cloud in one of the jurisdictions, if any. */
    public Optional<Region> firstRegionIn(String cloud, Set<String> jurisdictions) {
        return firstRegionIn(cloud, jurisdictions, Set.of());
    }

    /** The first region (catalog order) of the cloud in one of the jurisdictions and not among {@code except}, if any. */
    public Optional<Region> firstRegionIn(String cloud, Set<String> jurisdictions, Set<String> except) {
        for (Region r : regions(cloud)) {
            if (jurisdictions.contains(r.jurisdiction()) && !except.contains(r.id())) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public List<Region> allRegions() {
        return allRegions;
    }

    public List<DataZone> allZones() {
        return allZones;
    }

    /** The region a first-party API call is attributed to when the event names none. */
    static String defaultRegion(String cloud, String provider) {
        if ("gcp.gemini".equals(provider)) {
            return "global"; // the Gemini API (not Vertex) has no regional endpoints
        }
        return switch (cloud) {
            case "openai", "anthropic" -> "global";
            default -> null;
        };
    }

    /**
     * Where the call's data may have been processed. The scope is the event's own, else derived:
     * a Bedrock inference-profile prefix ({@code eu.} -> data zone eu, {@code global.} -> global),
     * a {@code global} region (OpenAI, Anthropic, Vertex global endpoint) -> global, else regional.
     */
    public ProcessingLocation processing(LlmCall call) {
        // A pure function of five fields that repeat across calls (a fleet uses a few dozen routes).
        RouteKey key = new RouteKey(call.cloud(), call.region(), call.provider(), call.model(), call.scope());
        ProcessingLocation known = routes.get(key);
        if (known == null) {
            known = locate(call);
            if (routes.size() < ROUTES_CACHE_LIMIT) {
                routes.put(key, known);
            }
        }
        return known;
    }

    private record RouteKey(String cloud, String region, String provider, String model, Scope scope) {}

    private final Map<RouteKey, ProcessingLocation> routes = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int ROUTES_CACHE_LIMIT = 10_000;

    private ProcessingLocation locate(LlmCall call) {
        String cloud = call.cloud();
        if (cloud == null) {
            return ProcessingLocation.unknown("the event has no cloud");
        }
        String regionId = call.region() != null ? call.region() : defaultRegion(cloud, call.provider());
        Optional<ModelNames.Profile> profile = cloud.equals("aws") ? ModelNames.bedrockProfile(call.model()) : Optional.empty();
        Scope scope = call.scope();
        if (scope == null) {
            if (profile.isPresent()) {
                scope = profile.get().global() ? Scope.GLOBAL : Scope.DATA_ZONE;
            } else if ("global".equals(regionId)) {
                scope = Scope.GLOBAL;
            } else {
                scope = Scope.REGIONAL;
            }
        }
        String model = call.model();
        boolean viaProfile = profile.isPresent();
        if (scope == Scope.GLOBAL) {
            return new ProcessingLocation(ProcessingLocation.EVERYWHERE, scope, null, cloud, model, regionId, viaProfile, null);
        }
        if (regionId == null) {
            return ProcessingLocation.unknown("the event has no region");
        }
        Optional<Region> region = region(cloud, regionId);
        if (scope == Scope.DATA_ZONE) {
            String zoneId = viaProfile && !profile.get().global() ? profile.get().prefix()
                    : region.map(Region::dataZone).orElse(null);
            if (zoneId == null) {
                return ProcessingLocation.unknown(region.isEmpty()
                        ? "region " + regionId + " of " + cloud + " is not in the region catalog"
                        : "region " + regionId + " of " + cloud + " has no data zone in the region catalog");
            }
            Optional<DataZone> zone = zone(cloud, zoneId);
            if (zone.isEmpty()) {
                return ProcessingLocation.unknown("data zone " + zoneId + " of " + cloud + " is not in the region catalog");
            }
            return new ProcessingLocation(zone.get().jurisdictions(), scope, zoneId, cloud, model, regionId, viaProfile, null);
        }
        if (region.isEmpty()) {
            return ProcessingLocation.unknown("region " + regionId + " of " + cloud + " is not in the region catalog");
        }
        return new ProcessingLocation(jurisdictionSets.get(region.get().jurisdiction()), scope, null, cloud, model, regionId, viaProfile, null);
    }

}
