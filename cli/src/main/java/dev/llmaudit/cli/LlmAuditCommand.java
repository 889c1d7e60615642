package dev.llmaudit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code llm-audit} command. Each capability is a subcommand; {@code main} only wires. */
@Command(name = "llm-audit",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = {
                "Governance and audit pipeline for LLM calls across clouds:",
                "data-residency, model and spend policies, exact pricing and usage rollups."},
        subcommands = {dev.llmaudit.cli.local.LocalCommand.class, EventsCommand.class, PoliciesCommand.class, PricesCommand.class, IngestCommand.class, EnforcerCommand.class, RollupsCommand.class, TailCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Run 'llm-audit COMMAND --help' for a command's options.",
                "Docs: README.md and schemas/README.md in the repository."})
public final class LlmAuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // No subcommand: show what there is.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A configured command line, shared by main and the tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new LlmAuditCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
