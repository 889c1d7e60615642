package dev.llmaudit.policy.rules;

import dev.llmaudit.policy.model.PolicyKind;
import dev.llmaudit.policy.model.Severity;

/**
 * What every policy has: id, kind, description, severity, owner, the calls it applies to, and
 * where it was defined (file:line) for messages.
 */
public record PolicyMeta(String id, PolicyKind kind, String description, Severity severity, String owner,
                         Selector selector, String location) {}
