package dev.llmaudit.policy.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiteLlmImporterTest {
    static LiteLlmImporter.Result importJson(String json) throws IOException {
        return LiteLlmImporter.importFrom(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void mapsEachKeyShapeExactly() throws IOException {
        LiteLlmImporter.Result r = importJson("""
                {
                  "gpt-5.5": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 5e-06, "output_cost_per_token": 3e-05, "cache_read_input_token_cost": 5e-07},
                  "azure/gpt-5.5": {"litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 5e-06, "output_cost_per_token": 3e-05},
                  "azure/eu/gpt-5.5": {"litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 5.5e-06, "output_cost_per_token": 3.3e-05},
                  "azure/global-standard/gpt-4o": {"litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
                  "azure_ai/gpt-oss-120b": {"litellm_provider": "azure_ai", "mode": "chat", "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07},
                  "bedrock/eu-central-1/anthropic.claude-v2:1": {"litellm_provider": "bedrock", "mode": "chat", "input_cost_per_token": 8e-06, "output_cost_per_token": 2.4e-05},
                  "bedrock/eu-central-1/1-month-commitment/anthropic.claude-v2:1": {"litellm_provider": "bedrock", "mode": "chat", "input_cost_per_second": 0.01},
                  "eu.anthropic.claude-x-v1:0": {"litellm_provider": "bedrock_converse", "mode": "chat", "input_cost_per_token": 3.3e-06, "output_cost_per_token": 1.65e-05},
                  "global.anthropic.claude-x-v1:0": {"litellm_provider": "bedrock_converse", "mode": "chat", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05},
                  "bedrock_mantle/openai.gpt-5.5": {"litellm_provider": "bedrock_mantle", "mode": "responses", "input_cost_per_token": 5.5e-06, "output_cost_per_token": 3.3e-05},
                  "vertex_ai/qwen/qwen3-x-maas": {"litellm_provider": "vertex_ai-qwen_models", "mode": "chat", "input_cost_per_token": 2.2e-07, "output_cost_per_token": 8.8e-07, "supported_regions": ["global", "us-south1"]},
                  "gemini/gemini-2.5-flash": {"litellm_provider": "gemini", "mode": "chat", "input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06},
                  "databricks/x": {"litellm_provider": "databricks", "mode": "chat", "input_cost_per_token": 1.5000999999999998e-07, "output_cost_per_token": 1e-06},
                  "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04}
                }
                """);
        assertThat(r.entries()).extracting(e -> String.join(" ", e.cloud(), e.model(), String.valueOf(e.region()), e.scope(),
                        String.valueOf(e.zone()), e.input().toPlainString(), e.output().toPlainString()))
                .containsExactly(
                        "aws anthropic.claude-v2:1 eu-central-1 regional null 8 24",
                        "aws anthropic.claude-x-v1:0 null data_zone eu 3.3 16.5",
                        "aws anthropic.claude-x-v1:0 null global null 3 15",
                        "aws openai.gpt-5.5 null regional null 5.5 33",
                        "azure gpt-4o null global null 2.5 10",
                        "azure gpt-5.5 null any null 5 30",
                        "azure gpt-5.5 null data_zone eu 5.5 33",
                        "azure gpt-oss-120b null any null 0.15 0.6",
                        "gcp gemini-2.5-flash null global null 0.3 2.5",
                        "gcp qwen/qwen3-x-maas null global null 0.22 0.88",
                        "gcp qwen/qwen3-x-maas us-south1 regional null 0.22 0.88",
                        "openai gpt-5.5 null global null 5 30");
        assertThat(r.entries()).filteredOn(e -> e.cloud().equals("openai")).singleElement()
                .satisfies(e -> assertThat(e.cachedInput().toPlainString()).isEqualTo("0.5"));
        assertThat(r.skipped()).extracting(LiteLlmImporter.Skipped::key, LiteLlmImporter.Skipped::reason).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("bedrock/eu-central-1/1-month-commitment/anthropic.claude-v2:1", "no input_cost_per_token"),
                org.assertj.core.groups.Tuple.tuple("databricks/x", "provider \"databricks\" is not a cloud llm-audit prices (azure, aws, gcp, openai, anthropic)"),
                org.assertj.core.groups.Tuple.tuple("dall-e-3", "mode \"image_generation\" is not priced per token"));
    }

    @Test
    void theShippedCatalogIsExactlyWhatTheImporterMakesOfTheSnapshot() throws IOException {
        LiteLlmImporter.Result r;
        dev.llmaudit.policy.load.Problems problems = new dev.llmaudit.policy.load.Problems();
        var rules = dev.llmaudit.policy.load.ScopeRules.load(Path.of("bundle/catalog/scope-rules.yaml"), null, problems);
        assertThat(problems.all()).isEmpty();
        try (InputStream in = getClass().getResourceAsStream("/litellm/model_prices_and_context_window.json")) {
            r = LiteLlmImporter.importFrom(in, rules);
        }
        String generated = LiteLlmImporter.toYaml(r, "litellm-2026-07-01", LocalDate.parse("2026-07-01"), "litellm-model-prices.json");
        String shipped = Files.readString(Path.of("bundle/catalog/prices-litellm.yaml"));
        assertThat(shipped).as("regenerate with: ./llm-audit prices import-litellm FILE --effective-from 2026-07-01 -o policies/bundle/catalog/prices-litellm.yaml")
                .isEqualTo(generated);
        assertThat(r.entries()).hasSizeGreaterThan(800);
        assertThat(r.entries()).extracting(LiteLlmImporter.Entry::cloud).contains("aws", "azure", "gcp", "openai", "anthropic");
        assertThat(List.copyOf(r.skippedByReason().keySet())).first()
                .isEqualTo("provider is not a cloud llm-audit prices (azure, aws, gcp, openai, anthropic)");
    }
}
