package dev.llmaudit.cli;

import dev.llmaudit.policy.catalog.PriceCatalog;
import dev.llmaudit.policy.catalog.ScopeRule;
import dev.llmaudit.policy.litellm.LiteLlmImporter;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.Problems;
import dev.llmaudit.policy.load.ScopeRules;
import dev.llmaudit.policy.model.Amounts;
import dev.llmaudit.policy.model.LlmCall;
import dev.llmaudit.policy.model.Scope;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Price catalog tools. */
@Command(name = "prices", mixinStandardHelpOptions = true, description = "Build and explain the price catalog.",
        subcommands = {PricesCommand.ImportLiteLlm.class, PricesCommand.Explain.class})
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

        @Option(names = "--scope-rules", paramLabel = "FILE",
                description = {"Scope rules to apply (catalog/scope-rules.yaml: which scope LiteLLM's plain keys price, and the prices",
                        "of other scopes derived from them). Default: scope-rules.yaml next to --output, when there is one."})
        Path scopeRules;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            LiteLlmImporter.Result result;
            Path rulesFile = scopeRules != null ? scopeRules
                    : output != null && output.toAbsolutePath().getParent() != null
                            && Files.exists(output.toAbsolutePath().getParent().resolve("scope-rules.yaml"))
                            ? output.toAbsolutePath().getParent().resolve("scope-rules.yaml") : null;
            List<ScopeRule> rules = List.of();
            if (rulesFile != null) {
                if (!Files.exists(rulesFile)) {
                    err.println("llm-audit prices import-litellm: no such scope rules file: " + rulesFile);
                    return 2;
                }
                Problems problems = new Problems();
                rules = ScopeRules.load(rulesFile, null, problems);
                if (!problems.isEmpty()) {
                    problems.all().forEach(err::println);
                    return 1;
                }
                err.println("Applying " + rules.size() + " scope rules from " + rulesFile);
            } else {
                err.println("No scope rules (--scope-rules FILE): plain keys keep the scope the importer gives them.");
            }
            try (InputStream in = Files.newInputStream(file)) {
                result = LiteLlmImporter.importFrom(in, rules);
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
            for (Map.Entry<String, List<String>> e : result.skippedByReason().entrySet()) {
                List<String> keys = e.getValue();
                err.printf("  %5d  %s, e.g. %s%n", keys.size(), e.getKey(), String.join(", ", keys.subList(0, Math.min(3, keys.size()))));
            }
            if (skippedFile == null) {
                err.println("Use --skipped FILE to list every skipped key with its reason.");
            }
            return 0;
        }
    }

    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = {"Show which catalog entry prices a call and why: the entry, its basis (published, derived by a scope rule,",
                    "negotiated, corrected) with the rule's source, the entries it beat, and the cost of a token mix.",
                    "Example: llm-audit prices explain --cloud aws --region eu-central-1 --model anthropic.claude-sonnet-4-5-20250929-v1:0"})
    static final class Explain implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--bundle", defaultValue = "policies/bundle", paramLabel = "DIR", description = "Policy bundle. Default: ${DEFAULT-VALUE}.")
        Path bundle;

        @Option(names = "--cloud", required = true, description = "azure, aws, gcp, openai, anthropic.")
        String cloud;

        @Option(names = "--region", description = "The endpoint's region (eu-central-1, swedencentral, europe-west4, global).")
        String region;

        @Option(names = "--model", required = true, description = "Model, deployment or inference-profile id as the call names it.")
        String model;

        @Option(names = "--scope", description = "regional, data_zone or global (default: derived as for an event: Bedrock profile prefix, or region).")
        String scope;

        @Option(names = "--provider", description = "gen_ai.provider.name (e.g. gcp.vertex_ai); some scope rules depend on it.")
        String provider;

        @Option(names = "--tenant", description = "The calling tenant (negotiated prices are per tenant).")
        String tenant;

        @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "When the call happened (default: today, UTC).")
        LocalDate date;

        @Option(names = "--input", defaultValue = "1000", description = "Input tokens (cached ones included). Default: ${DEFAULT-VALUE}.")
        long input;

        @Option(names = "--cached", defaultValue = "0", description = "Cached input tokens. Default: ${DEFAULT-VALUE}.")
        long cached;

        @Option(names = "--output", defaultValue = "200", description = "Output tokens (reasoning ones included). Default: ${DEFAULT-VALUE}.")
        long output;

        @Option(names = "--reasoning", defaultValue = "0", description = "Reasoning tokens. Default: ${DEFAULT-VALUE}.")
        long reasoning;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            var loaded = BundleLoader.load(bundle);
            if (!loaded.ok()) {
                loaded.problems().forEach(err::println);
                err.println("llm-audit prices explain: bundle " + bundle + " is invalid (" + loaded.problems().size() + " problems)");
                return 2;
            }
            var b = loaded.bundle();
            Scope s = null;
            if (scope != null) {
                s = Scope.parse(scope);
                if (s == null) {
                    err.println("llm-audit prices explain: --scope must be regional, data_zone or global (got \"" + scope + "\")");
                    return 2;
                }
            }
            Instant at = (date == null ? LocalDate.now(ZoneOffset.UTC) : date).atTime(12, 0).toInstant(ZoneOffset.UTC);
            var call = LlmCall.builder("explain", at).cloud(cloud).region(region).scope(s).provider(provider)
                    .tenant(tenant).requestModel(model).inputTokens(input).cachedInputTokens(cached).outputTokens(output)
                    .reasoningTokens(reasoning).build();
            var where = b.regions().processing(call);
            out.printf("Call:       %s %s %s, scope %s%s; processed in %s%n", cloud, region == null ? "(no region)" : region, model,
                    where.scope() == null ? "unknown" : where.scope().id(), where.zone() == null ? "" : " (data zone " + where.zone() + ")",
                    where.jurisdictions().isEmpty() ? "unknown: " + where.unknownReason() : String.join(", ", new TreeSet<>(where.jurisdictions())));
            var ex = b.prices().explain(cloud, model, region, where.scope(), where.zone(), at, tenant, true);
            var pricing = b.prices().price(call, where);
            if (ex.chosen() == null || !pricing.priced()) {
                out.println("Priced by:  nothing: " + (pricing.reason() == null ? "no entry applies" : pricing.reason()));
                printLosers(out, ex);
                return 1;
            }
            var e = ex.chosen();
            out.println("Priced by:  " + e.id() + "   (" + e.location() + ")");
            out.println("Basis:      " + e.basisText() + (e.source() == null ? "" : "; source: " + e.source()));
            if (e.rule() != null && b.prices().rules().containsKey(e.rule())) {
                var rule = b.prices().rules().get(e.rule());
                out.println("Rule:       " + rule.id() + " (" + rule.location() + "): " + rule.says().replaceAll("\\s+", " "));
                out.println("Rule from:  " + rule.source().url() + " - " + rule.source().title() + ", checked " + rule.source().checked());
            }
            out.printf("Prices:     input %s, output %s, cached input %s, reasoning %s %s per million tokens%n", plain(e.inputPerMillion()),
                    plain(e.outputPerMillion()), e.cachedInputPerMillion() == null ? "(= input)" : plain(e.cachedInputPerMillion()),
                    e.reasoningPerMillion() == null ? "(= output)" : plain(e.reasoningPerMillion()), b.prices().currency());
            var c = pricing.cost();
            out.printf("Cost:       %s %s for %,d input (%,d cached) + %,d output (%,d reasoning) tokens: input %s, cached %s, output %s, reasoning %s%n",
                    plain(c.total()), b.prices().currency(), input, cached, output, reasoning, plain(c.input()), plain(c.cachedInput()),
                    plain(c.output()), plain(c.reasoning()));
            printLosers(out, ex);
            return 0;
        }

        private static void printLosers(PrintWriter out, PriceCatalog.Explanation ex) {
            if (!ex.applied().isEmpty()) {
                out.println("Beat:       entries that also apply, less specific, older, or below the overlay:");
                ex.applied().forEach(x -> out.println("              " + x.id() + " [" + x.basisText() + "] input " + plain(x.inputPerMillion())
                        + ", output " + plain(x.outputPerMillion())));
            }
            if (!ex.notApplying().isEmpty()) {
                out.println("Not for this call (other scope, region, zone, tenant or date): " + ex.notApplying().size() + " entries of the model, e.g.");
                ex.notApplying().stream().limit(6).forEach(x -> out.println("              " + x.id() + " [" + x.basisText() + "]"));
            }
        }

        private static String plain(BigDecimal d) {
            return Amounts.plain(d);
        }
    }
}
