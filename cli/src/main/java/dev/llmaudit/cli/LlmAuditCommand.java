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
        subcommands = {dev.llmaudit.cli.local.LocalCommand.class, EventsCommand.class, PoliciesCommand.class, PricesCommand.class, IngestCommand.class, EnforcerCommand.class, RollupsCommand.class, TailCommand.class, NotifyCommand.class, ConsoleCommand.class, ExportCommand.class,
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
        CommandLine cl = new CommandLine(new LlmAuditCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(LlmAuditCommand::report);
        // The jobs' key lists come from their declarations, so help cannot drift from what the code reads.
        cl.getSubcommands().get("enforcer").getSubcommands().get("run").getCommandSpec().usageMessage()
                .footer(dev.llmaudit.enforcer.EnforcerConfig.SETTINGS.helpLines().toArray(String[]::new));
        cl.getSubcommands().get("rollups").getSubcommands().get("run").getCommandSpec().usageMessage()
                .footer(dev.llmaudit.rollups.RollupsConfig.SETTINGS.helpLines().toArray(String[]::new));
        return cl;
    }

    /**
     * What a user sees when a command fails in a way it does not report itself: one line with the
     * command and the root cause (and a hint where one is known), exit 1; the stack trace goes to the
     * debug log (LLM_AUDIT_LOG_LEVEL=debug).
     */
    static int report(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String hint = root instanceof java.net.UnknownHostException ? " (this host's name must resolve: check /etc/hosts)" : "";
        command.getErr().println(command.getCommandSpec().qualifiedName() + ": stopped by an error: " + root.getClass().getSimpleName()
                + ": " + root.getMessage() + hint + " (set LLM_AUDIT_LOG_LEVEL=debug for details)");
        org.slf4j.LoggerFactory.getLogger(LlmAuditCommand.class).debug("{} failed", command.getCommandSpec().qualifiedName(), e);
        return 1;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
