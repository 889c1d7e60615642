package dev.llmaudit.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small bundles written to a temporary directory, for loader and engine tests. */
public final class TestBundles {
    public static final String REGIONS = """
            version: "test-regions"
            groups:
              apac: [jp, au]
            clouds:
              aws:
                data_zones:
                  eu: {jurisdictions: [eu]}
                  us: {jurisdictions: [us]}
                regions:
                  eu-central-1: {country: DE, jurisdiction: eu, data_zone: eu}
                  us-east-1: {country: US, jurisdiction: us, data_zone: us}
                  eu-west-2: {country: GB, jurisdiction: uk}
                  ap-northeast-1: {country: JP, jurisdiction: jp}
              azure:
                data_zones:
                  eu: {jurisdictions: [eu]}
                regions:
                  swedencentral: {country: SE, jurisdiction: eu, data_zone: eu}
                  eastus2: {country: US, jurisdiction: us}
              openai:
                regions:
                  global: {jurisdiction: "*"}
                  eu: {jurisdiction: eu}
            """;

    public static final String PRICES = """
            version: "test-prices-1"
            currency: USD
            entries:
              - {cloud: aws, model: "anthropic.claude-x-v1:0", scope: regional, effective_from: 2026-01-01, input: "3", output: "15", cached_input: "0.3"}
              - {cloud: aws, model: "anthropic.claude-x-v1:0", scope: data_zone, zone: eu, effective_from: 2026-01-01, input: "3.3", output: "16.5", cached_input: "0.33"}
              - {cloud: aws, model: "anthropic.claude-x-v1:0", scope: global, effective_from: 2026-01-01, input: "2.7", output: "13.5"}
              - {cloud: aws, model: "anthropic.claude-x-v1:0", region: us-east-1, scope: regional, effective_from: 2026-01-01, input: "2.9", output: "14.5"}
              - {cloud: azure, model: "gpt-x", scope: any, effective_from: 2026-01-01, input: "5", output: "30", cached_input: "0.5", reasoning: "40"}
              - {cloud: azure, model: "gpt-x", scope: data_zone, zone: eu, effective_from: 2026-01-01, input: "5.5", output: "33"}
              - {cloud: azure, model: "gpt-x", scope: data_zone, zone: eu, effective_from: 2026-06-01, input: "4.4", output: "26.4"}
              - {cloud: openai, model: "gpt-x", scope: global, effective_from: 2026-01-01, input: "5", output: "30"}
              - {cloud: anthropic, model: "claude-x", scope: global, effective_from: 2026-01-01, input: "3", output: "15"}
            """;

    private TestBundles() {}

    /** Writes a bundle with the test catalogs and the given policy files (name -> YAML). */
    public static Path write(Path dir, String... policyFiles) {
        try {
            Files.createDirectories(dir.resolve("catalog"));
            Files.createDirectories(dir.resolve("policies"));
            Files.createDirectories(dir.resolve("tests"));
            Files.writeString(dir.resolve("bundle.yaml"), "name: test\nversion: \"t1\"\n");
            Files.writeString(dir.resolve("catalog/regions.yaml"), REGIONS);
            Files.writeString(dir.resolve("catalog/prices.yaml"), PRICES);
            for (int i = 0; i + 1 < policyFiles.length; i += 2) {
                Files.writeString(dir.resolve("policies").resolve(policyFiles[i]), policyFiles[i + 1]);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
