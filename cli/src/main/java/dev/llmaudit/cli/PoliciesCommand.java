package dev.llmaudit.cli;

import dev.llmaudit.policy.engine.PolicyEngine;
import dev.llmaudit.policy.load.BundleLoader;
import dev.llmaudit.policy.load.PolicyTests;
import dev.llmaudit.policy.load.Problems;
import dev.llmaudit.policy.tools.DryRun;
import dev.llmaudit.policy.tools.EventFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Policy-as-code tools: check a bundle like code, run its tests, backtest it on past events. */
@Command(name = "policies", mixinStandardHelpOptions = true,
        description = "Validate, test and backtest a policy bundle (a directory with bundle.yaml, catalog/, policies/, tests/).",
        subcommands = {PoliciesCommand.Validate.class, PoliciesCommand.Test.class, PoliciesCommand.DryRunCommand.class,
                PoliciesCommand.Publish.class})
final class PoliciesCommand extends GroupCommand {
    /** Loads the bundle or prints every problem; null when it does not load. */
    static BundleLoader.Result load(Path dir, PrintWriter err) {
        BundleLoader.Result result = BundleLoader.load(dir);
        for (Problems.Problem p : result.problems()) {
            err.println(p);
        }
        if (!result.ok()) {
            err.println(result.problems().size() + " problem(s) in bundle " + dir);
        }
        return result;
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = {"Load and check a bundle and its test cases. Exit 0 when valid; exit 1 listing every error as",
                    "file:line:col: message (including test cases that can never fail or name no policy of the bundle)."})
    static final class Validate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The bundle directory, e.g. policies/bundle.")
        Path dir;

        @Override
        public Integer call() {
            BundleLoader.Result r = load(dir, spec.commandLine().getErr());
            if (!r.ok()) {
                return 1;
            }
            List<Problems.Problem> tests = PolicyTests.check(dir, r.bundle());
            if (!tests.isEmpty()) {
                tests.forEach(spec.commandLine().getErr()::println);
                spec.commandLine().getErr().println(tests.size() + " problem(s) in the test cases of bundle " + dir);
                return 1;
            }
            spec.commandLine().getOut().printf("%s: bundle %s version %s is valid: %d policies, %d prices (catalog %s), %d regions%n",
                    dir, r.bundle().name(), r.bundle().version(), r.bundle().policies().size(), r.bundle().prices().entries().size(),
                    r.bundle().prices().version(), r.bundle().regions().allRegions().size());
            return 0;
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = {"Run the bundle's test cases (tests/*.yaml: given events, expected findings).",
                    "Exit 1 on any failure, showing expected vs actual."})
    static final class Test implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The bundle directory, e.g. policies/bundle.")
        Path dir;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            BundleLoader.Result r = load(dir, err);
            if (!r.ok()) {
                return 1;
            }
            PolicyTests.Report report = PolicyTests.run(dir, new PolicyEngine(r.bundle()));
            report.problems().forEach(err::println);
            int passed = 0;
            int failed = 0;
            for (PolicyTests.CaseResult c : report.cases()) {
                if (c.passed()) {
                    passed++;
                    out.println("PASS  " + c.name());
                } else {
                    failed++;
                    out.println("FAIL  " + c.name() + "  (" + c.location() + ")");
                    c.failures().forEach(f -> out.println("        " + f));
                }
            }
            out.printf("%d passed, %d failed%n", passed, failed);
            return report.passed() ? 0 : 1;
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = {"Validate a bundle and publish it to the compacted policies topic; running enforcers switch to it",
                    "without a restart. A bundle that fails validation is refused (exit 1, every error listed)."})
    static final class Publish implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The bundle directory.")
        Path dir;

        @CommandLine.Mixin
        ClusterOptions cluster;

        @Option(names = "--topic", defaultValue = "llm.policies", description = "Policies topic. Default: ${DEFAULT-VALUE}.")
        String topic;

        @Override
        public Integer call() {
            try {
                BundleLoader.Result loaded = BundleLoader.load(dir);
                if (loaded.ok()) {
                    // What validate refuses is not published either: test cases that check nothing included.
                    List<Problems.Problem> tests = PolicyTests.check(dir, loaded.bundle());
                    if (!tests.isEmpty()) {
                        tests.forEach(spec.commandLine().getErr()::println);
                        spec.commandLine().getErr().println("not published: " + tests.size() + " problem(s) in the test cases of bundle " + dir);
                        return 1;
                    }
                }
                BundleLoader.Result r = dev.llmaudit.enforcer.PolicyPublisher.publish(dir, cluster.bootstrap, cluster.kafkaClient(), topic);
                if (!r.ok()) {
                    r.problems().forEach(spec.commandLine().getErr()::println);
                    spec.commandLine().getErr().println("not published: " + r.problems().size() + " problem(s) in bundle " + dir);
                    return 1;
                }
                spec.commandLine().getOut().printf("Published bundle %s version %s to %s%n", r.bundle().name(), r.bundle().version(), topic);
                return 0;
            } catch (java.io.IOException e) {
                spec.commandLine().getErr().println("llm-audit policies publish: " + e.getMessage());
                return 2;
            }
        }
    }

    @Command(name = "dry-run", mixinStandardHelpOptions = true,
            description = {"Evaluate a file of past events (canonical JSON, one per line) against a bundle, accumulating",
                    "budgets in event-time order. Reports every finding, a summary per policy and cost totals per cloud.",
                    "Bad lines are reported with their line number and skipped."})
    static final class DryRunCommand implements Callable<Integer> {
        enum Format { table, json }

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The bundle directory, e.g. policies/bundle.")
        Path dir;

        @Option(names = "--events", required = true, paramLabel = "FILE", description = "Events file (JSON lines).")
        Path events;

        @Option(names = "--format", defaultValue = "table", description = "table (default) or json (JSON lines: findings, bad lines, summary).")
        Format format;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            BundleLoader.Result r = load(dir, err);
            if (!r.ok()) {
                return 1;
            }
            if (!Files.isRegularFile(events)) {
                err.println("llm-audit policies dry-run: no such events file: " + events);
                return 2;
            }
            EventFile.Contents contents;
            boolean[] progressShown = {false};
            try {
                contents = EventFile.read(events, n -> {
                    progressShown[0] = true;
                    err.printf("\rread %,d lines...", n);
                });
            } catch (IOException e) {
                err.println("llm-audit policies dry-run: cannot read " + events + ": " + e.getMessage());
                return 2;
            }
            DryRun.Report report = DryRun.run(new PolicyEngine(r.bundle()), contents, n -> {
                progressShown[0] = true;
                err.printf("\revaluated %,d of %,d events...", n, contents.calls().size());
            });
            if (progressShown[0]) {
                err.println(); // end the progress line before the report
            }
            if (format == Format.json) {
                DryRun.writeJson(report, out);
            } else {
                DryRun.writeTable(report, out);
            }
            return 0;
        }
    }
}
