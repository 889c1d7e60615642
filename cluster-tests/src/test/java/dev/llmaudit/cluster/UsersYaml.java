package dev.llmaudit.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Kafka users and their ACLs, read from {@code deploy/k8s/users.yaml} (Strimzi {@code KafkaUser}
 * resources, simple authorization): the same source the Kubernetes manifests apply, never written twice.
 */
final class UsersYaml {
    static final Path FILE = Path.of("..", "deploy", "k8s", "users.yaml");

    private UsersYaml() {}

    /** User name -> the ACL bindings of its {@code User:<name>} principal. */
    @SuppressWarnings("unchecked")
    static Map<String, List<AclBinding>> acls() throws IOException {
        Map<String, List<AclBinding>> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(FILE)) {
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                Map<String, Object> user = (Map<String, Object>) doc;
                if (user == null || !"KafkaUser".equals(user.get("kind"))) {
                    continue;
                }
                String name = (String) ((Map<String, Object>) user.get("metadata")).get("name");
                Map<String, Object> authorization = (Map<String, Object>) ((Map<String, Object>) user.get("spec")).get("authorization");
                List<AclBinding> bindings = new ArrayList<>();
                for (Map<String, Object> acl : (List<Map<String, Object>>) authorization.get("acls")) {
                    Map<String, Object> resource = (Map<String, Object>) acl.get("resource");
                    ResourcePattern pattern = new ResourcePattern(resourceType((String) resource.get("type")),
                            resource.get("name") == null ? "kafka-cluster" : (String) resource.get("name"),
                            "prefix".equals(resource.get("patternType")) ? PatternType.PREFIXED : PatternType.LITERAL);
                    for (String op : (List<String>) acl.get("operations")) {
                        bindings.add(new AclBinding(pattern, new AccessControlEntry("User:" + name, "*", operation(op), AclPermissionType.ALLOW)));
                    }
                }
                out.put(name, bindings);
            }
        }
        return out;
    }

    private static ResourceType resourceType(String strimzi) {
        return switch (strimzi) {
            case "topic" -> ResourceType.TOPIC;
            case "group" -> ResourceType.GROUP;
            case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
            case "cluster" -> ResourceType.CLUSTER;
            default -> throw new IllegalArgumentException("users.yaml: unknown resource type " + strimzi);
        };
    }

    private static AclOperation operation(String strimzi) {
        // Strimzi spells them Read, Write, IdempotentWrite, DescribeConfigs...; Kafka's enum READ, WRITE, IDEMPOTENT_WRITE...
        String constant = strimzi.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
        return AclOperation.valueOf(constant);
    }
}
