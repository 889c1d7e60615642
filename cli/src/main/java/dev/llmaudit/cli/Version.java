package dev.llmaudit.cli;

import picocli.CommandLine;

/** Version from the jar manifest (set by the build), or "development" when run from classes. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = LlmAuditCommand.class.getPackage().getImplementationVersion();
        return new String[] {"llm-audit " + (v == null ? "development" : v)};
    }
}
