package dev.llmaudit.cli;

import dev.llmaudit.policy.litellm.LiteLlmImporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Price catalog tools. */
@Command(name = "prices", mixinStandardHelpOptions = true, description = "Build the price catalog.",
        subcommands = {PricesCommand.ImportLiteLlm.class})
final class PricesCommand extends GroupCommand {
    @Command(name = "import-litellm", mixinStandardHelpOptions = true,
            description = {"Convert LiteLLM's model_prices_and_context_window.json into an llm-audit price file",
                    "(azure, aws/bedrock, gcp/vertex+gemini, openai, anthropic entries). Reports what was skipped and why."})
    static final class ImportLiteLlm implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "LiteLLM's price JSON.")
        Path file;

        @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Write the price file here (default: standard output).")
        Path output;

        @Option(names = "--effective-from", defaultValue = "2000-01-01", paramLabel = "DATE",
                description = "Date the prices apply from (YYYY-MM-DD). Default ${DEFAULT-VALUE}: they cover all past events until a later-dated entry supersedes them.")
        LocalDate effectiveFrom;

        @Option(names = "--catalog-version", paramLabel = "VERSION", description = "Catalog version to record (default: litellm-<effective-from>).")
        String version;

        @Option(names = "--skipped", paramLabel = "FILE", description = "Also write every skipped key and its reason to FILE (TSV).")
        Path skippedFile;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            LiteLlmImporter.Result result;
            try (InputStream in = Files.newInputStream(file)) {
                result = LiteLlmImporter.importFrom(in);
            } catch (NoSuchFileException e) {
                err.println("llm-audit prices import-litellm: no such file: " + file);
                return 2;
            } catch (IOException e) {
                err.println("llm-audit prices import-litellm: cannot read " + file + " as LiteLLM's price JSON: " + e.getMessage());
                return 1;
            }
            String v = version != null ? version : "litellm-" + effectiveFrom;
            String yaml = LiteLlmImporter.toYaml(result, v, effectiveFrom, file.getFileName().toString());
            try {
                if (output == null) {
                    spec.commandLine().getOut().print(yaml);
                    spec.commandLine().getOut().flush();
                } else {
                    Files.writeString(output, yaml, StandardCharsets.UTF_8);
                }
                if (skippedFile != null) {
                    StringBuilder b = new StringBuilder("key\treason\n");
                    result.skipped().forEach(s -> b.append(s.key()).append('\t').append(s.reason()).append('\n'));
                    Files.writeString(skippedFile, b.toString(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                err.println("llm-audit prices import-litellm: cannot write: " + e.getMessage());
                return 2;
            }
            err.printf("Imported %d prices%s; skipped %d LiteLLM keys:%n", result.entries().size(),
                    output == null ? "" : " to " + output, result.skipped().size());
            for (Map.Entry<String, java.util.List<String>> e : result.skippedByReason().entrySet()) {
                java.util.List<String> keys = e.getValue();
                err.printf("  %5d  %s, e.g. %s%n", keys.size(), e.getKey(), String.join(", ", keys.subList(0, Math.min(3, keys.size()))));
            }
            if (skippedFile == null) {
                err.println("Use --skipped FILE to list every skipped key with its reason.");
            }
            return 0;
        }
    }
}
