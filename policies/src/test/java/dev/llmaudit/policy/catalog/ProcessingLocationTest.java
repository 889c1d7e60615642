package dev.llmaudit.policy.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.policy.TestBundles;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

class ProcessingLocationTest {
    static RegionCatalog regions;

    @BeforeAll
    static void load(@TempDir Path dir) {
        regions = BundleLoader.load(TestBundles.write(dir, "p.yaml", "policies:\n  - {id: a, kind: price_check}\n")).bundle().regions();
    }

    static Stream<Arguments> calls() {
        return Stream.of(
                Arguments.of("bedrock in-region", "aws", "eu-central-1", null, "anthropic.claude-x-v1:0", Set.of("eu"), Scope.REGIONAL),
                Arguments.of("bedrock eu. profile", "aws", "eu-central-1", null, "eu.anthropic.claude-x-v1:0", Set.of("eu"), Scope.DATA_ZONE),
                Arguments.of("bedrock us. profile from an EU endpoint", "aws", "eu-central-1", null, "us.anthropic.claude-x-v1:0", Set.of("us"), Scope.DATA_ZONE),
                Arguments.of("bedrock global. profile", "aws", "eu-central-1", null, "global.anthropic.claude-x-v1:0", Set.of("*"), Scope.GLOBAL),
                Arguments.of("azure global deployment in an EU region", "azure", "swedencentral", Scope.GLOBAL, "gpt-x", Set.of("*"), Scope.GLOBAL),
                Arguments.of("azure data zone from an EU region", "azure", "swedencentral", Scope.DATA_ZONE, "gpt-x", Set.of("eu"), Scope.DATA_ZONE),
                Arguments.of("azure regional", "azure", "eastus2", Scope.REGIONAL, "gpt-x", Set.of("us"), Scope.REGIONAL),
                Arguments.of("openai direct, no region", "openai", null, null, "gpt-x", Set.of("*"), Scope.GLOBAL),
                Arguments.of("openai EU data residency", "openai", "eu", null, "gpt-x", Set.of("eu"), Scope.REGIONAL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("calls")
    void derivesWhereDataWasProcessed(String name, String cloud, String region, Scope scope, String model, Set<String> expected, Scope expectedScope) {
        LlmCall c = LlmCall.builder("e", Instant.parse("2026-03-01T00:00:00Z")).cloud(cloud).region(region).scope(scope).requestModel(model).build();
        ProcessingLocation where = regions.processing(c);
        assertThat(where.known()).isTrue();
        assertThat(where.jurisdictions()).isEqualTo(expected);
        assertThat(where.scope()).isEqualTo(expectedScope);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("calls")
    void onlyTheEuRoutesSatisfyAnEuRequirement(String name, String cloud, String region, Scope scope, String model, Set<String> expected, Scope s) {
        LlmCall c = LlmCall.builder("e", Instant.parse("2026-03-01T00:00:00Z")).cloud(cloud).region(region).scope(scope).requestModel(model).build();
        assertThat(regions.processing(c).within(Set.of("eu"))).isEqualTo(expected.equals(Set.of("eu")));
    }
}
