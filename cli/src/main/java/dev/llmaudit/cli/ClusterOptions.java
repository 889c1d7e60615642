package dev.llmaudit.cli;

import picocli.CommandLine.Option;

/** Where Kafka and the schema registry are: the same flags and environment variables for every command. */
final class ClusterOptions {
    @Option(names = "--bootstrap-servers", defaultValue = "${env:LLM_AUDIT_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (LLM_AUDIT_BOOTSTRAP_SERVERS). Default: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Option(names = "--schema-registry-url", defaultValue = "${env:LLM_AUDIT_SCHEMA_REGISTRY_URL:-http://localhost:8081}",
            description = "Confluent-compatible schema registry (LLM_AUDIT_SCHEMA_REGISTRY_URL). Default: ${DEFAULT-VALUE}.")
    String registryUrl;

    @Option(names = "--registry-user-info", defaultValue = "${env:LLM_AUDIT_SCHEMA_REGISTRY_USER_INFO}",
            description = "user:password for the registry (LLM_AUDIT_SCHEMA_REGISTRY_USER_INFO).")
    String registryUserInfo;
}
