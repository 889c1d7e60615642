package dev.llmaudit.ingest.capture;

import dev.llmaudit.avro.DeploymentScope;

/**
 * Vertex AI locations as its endpoints name them: {@code global} (Google routes anywhere), the
 * multi-regions {@code us} and {@code eu} (within that geography: a data zone), and regions
 * ({@code europe-west1}: regional).
 */
public final class VertexLocations {
    private VertexLocations() {}

    public static DeploymentScope scope(String location) {
        if (location == null || location.equals("global")) {
            return DeploymentScope.global;
        }
        return location.equals("us") || location.equals("eu") ? DeploymentScope.data_zone : DeploymentScope.regional;
    }

    /** The endpoint host for the location, as the SDKs build it. */
    public static String host(String location) {
        if (location == null || location.equals("global")) {
            return "aiplatform.googleapis.com";
        }
        return location.equals("us") || location.equals("eu") ? "aiplatform." + location + ".rep.googleapis.com"
                : location + "-aiplatform.googleapis.com";
    }
}
