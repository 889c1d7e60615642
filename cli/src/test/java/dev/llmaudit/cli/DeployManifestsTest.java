package dev.llmaudit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.enforcer.EnforcerConfig;
import dev.llmaudit.jobs.Topics;
import dev.llmaudit.rollups.RollupsConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

/**
 * Every manifest in deploy/ parses and agrees with deploy/topics.yaml (the topics the code creates)
 * and with the configuration keys and environment variables the code reads.
 */
class DeployManifestsTest {
    static final Path DEPLOY = Path.of("..", "deploy");

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> docs(Path file) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (Object d : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                if (d != null) {
                    out.add((Map<String, Object>) d);
                }
            }
        }
        return out;
    }

    static List<Map<String, Object>> k8s() throws Exception {
        List<Map<String, Object>> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(DEPLOY.resolve("k8s"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                all.addAll(docs(f));
            }
        }
        return all;
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Map<String, Object> m, String... path) {
        Object v = m;
        for (String p : path) {
            v = v == null ? null : ((Map<String, Object>) v).get(p);
        }
        return (T) v;
    }

    static Map<String, String> configsOf(Topics.Definition d) {
        return d.configs();
    }

    @Test
    void kubernetesTopicsAreExactlyTheDefinedOnes() throws Exception {
        Map<String, Map<String, Object>> topics = new HashMap<>();
        for (Map<String, Object> d : k8s()) {
            if ("KafkaTopic".equals(d.get("kind"))) {
                topics.put(at(d, "metadata", "name"), d);
            }
        }
        assertThat(topics.keySet()).isEqualTo(Topics.definitions().keySet());
        for (Topics.Definition def : Topics.definitions().values()) {
            Map<String, Object> t = topics.get(def.name());
            assertThat(((Number) at(t, "spec", "partitions")).intValue()).as(def.name() + " partitions").isEqualTo(def.partitions());
            Map<String, Object> config = at(t, "spec", "config");
            Map<String, String> asText = new HashMap<>();
            config.forEach((k, v) -> asText.put(k, String.valueOf(v)));
            assertThat(asText).as(def.name() + " config").isEqualTo(configsOf(def));
        }
    }

    @Test
    void composeCreatesExactlyTheDefinedTopics() throws Exception {
        Map<String, Object> compose = docs(DEPLOY.resolve("compose/compose.yaml")).get(0);
        String script = String.join("\n", (List<String>) at(compose, "services", "topics", "command"));
        Matcher m = Pattern.compile("--topic (\\S+) --partitions (\\d+)((?: --config \\S+)*)").matcher(script);
        Set<String> seen = new HashSet<>();
        while (m.find()) {
            Topics.Definition def = Topics.definition(m.group(1));
            seen.add(def.name());
            assertThat(Integer.parseInt(m.group(2))).as(def.name() + " partitions").isEqualTo(def.partitions());
            Map<String, String> configs = new HashMap<>();
            for (String c : m.group(3).trim().split("\\s*--config\\s+")) {
                if (!c.isBlank()) {
                    configs.put(c.substring(0, c.indexOf('=')), c.substring(c.indexOf('=') + 1));
                }
            }
            assertThat(configs).as(def.name() + " config").isEqualTo(configsOf(def));
        }
        assertThat(seen).isEqualTo(Topics.definitions().keySet());
    }

    @Test
    void aclsNameOnlyDefinedTopicsAndGiveEachRoleWhatTheIssueSays() throws Exception {
        Map<String, List<Map<String, Object>>> aclsByUser = new HashMap<>();
        for (Map<String, Object> d : k8s()) {
            if ("KafkaUser".equals(d.get("kind"))) {
                aclsByUser.put(at(d, "metadata", "name"), at(d, "spec", "authorization", "acls"));
            }
        }
        for (var e : aclsByUser.entrySet()) {
            for (Map<String, Object> acl : e.getValue()) {
                if ("topic".equals(at(acl, "resource", "type")) && at(acl, "resource", "patternType") == null) {
                    String name = at(acl, "resource", "name");
                    assertThat(Topics.definitions().containsKey(name) || name.equals("_schemas")).as(e.getKey() + " names " + name).isTrue();
                }
            }
        }
        // Exactly what each principal may do (least privilege): resource type, name, pattern -> operations.
        assertThat(acls(aclsByUser.get("apps"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.events", List.of("Write", "Describe")));   // the client's producer is idempotent, not transactional
        assertThat(acls(aclsByUser.get("ingest-gateway"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.events", List.of("Write", "Describe"),
                "transactionalId llm-audit-ingest*", List.of("Write", "Describe")));
        assertThat(acls(aclsByUser.get("policy-publisher"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.policies", List.of("Write", "Describe")));
        assertThat(acls(aclsByUser.get("rollups"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.events.priced", List.of("Read", "Describe"),
                "topic llm.policies", List.of("Read", "Describe"),
                "topic llm.usage.rollups", List.of("Write", "Describe"),
                "topic llm.events.dlq", List.of("Write", "Describe"),
                "group llm-audit-rollups*", List.of("Read"),
                "transactionalId llm-audit-rollups*", List.of("Write", "Describe")));
        assertThat(acls(aclsByUser.get("security"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.violations", List.of("Read", "Describe"),
                "topic llm.events.dlq", List.of("Read", "Describe"),
                "group llm-audit-tail*", List.of("Read")));
        assertThat(acls(aclsByUser.get("finance"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.usage.rollups", List.of("Read", "Describe"),
                "topic llm.budget.status", List.of("Read", "Describe"),
                "group llm-audit-tail*", List.of("Read")));
        assertThat(acls(aclsByUser.get("notify"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.violations", List.of("Read", "Describe"),
                "topic llm.events.dlq", List.of("Write", "Describe"),
                "group llm-audit-notify*", List.of("Read")));
        assertThat(acls(aclsByUser.get("console"))).as("reads four topics, writes nothing, no group").containsExactlyInAnyOrderEntriesOf(Map.of(
                "topic llm.usage.rollups", List.of("Read", "Describe"),
                "topic llm.budget.status", List.of("Read", "Describe"),
                "topic llm.violations", List.of("Read", "Describe"),
                "topic llm.events.dlq", List.of("Read", "Describe")));
        assertThat(topicOps(aclsByUser.get("apps"))).containsOnlyKeys("llm.events");
        assertThat(topicOps(aclsByUser.get("security"))).containsOnlyKeys("llm.violations", "llm.events.dlq")
                .allSatisfy((t, ops) -> assertThat(ops).doesNotContain("Write", "All"));
        assertThat(topicOps(aclsByUser.get("finance"))).containsOnlyKeys("llm.usage.rollups", "llm.budget.status")
                .allSatisfy((t, ops) -> assertThat(ops).doesNotContain("Write", "All"));
    }

    /** "type name" (a trailing * for prefix patterns) -> operations. */
    static Map<String, List<String>> acls(List<Map<String, Object>> acls) {
        Map<String, List<String>> out = new HashMap<>();
        for (Map<String, Object> acl : acls) {
            String key = at(acl, "resource", "type") + " " + at(acl, "resource", "name")
                    + ("prefix".equals(at(acl, "resource", "patternType")) ? "*" : "");
            assertThat(out.put(key, at(acl, "operations"))).as("one entry per resource: " + key).isNull();
        }
        return out;
    }

    static Map<String, List<String>> topicOps(List<Map<String, Object>> acls) {
        Map<String, List<String>> out = new HashMap<>();
        for (Map<String, Object> acl : acls) {
            if ("topic".equals(at(acl, "resource", "type"))) {
                out.put(at(acl, "resource", "name"), at(acl, "operations"));
            }
        }
        return out;
    }

    /** What a workload runs, judged from its command: the variables it reads differ per command. */
    enum Runs { INGEST, ENFORCER, ROLLUPS, NOTIFY, CONSOLE, FOCUS_EXPORT, OTHER }

    static Runs runs(Object workload) {
        String text = new Yaml().dump(workload);
        if (text.contains("RollupsMain") || text.contains("rollups.properties")) {
            return Runs.ROLLUPS;
        }
        if (Pattern.compile("\\benforcer\\b[\\s\\S]{0,20}\\brun\\b").matcher(text).find()) {
            return Runs.ENFORCER;
        }
        if (Pattern.compile("\\bingest\\b[\\s\\S]{0,20}\\bserve\\b").matcher(text).find()) {
            return Runs.INGEST;
        }
        if (Pattern.compile("args:\\s*\\[?\\s*-?\\s*notify\\b").matcher(text).find()) {
            return Runs.NOTIFY;
        }
        if (Pattern.compile("args:\\s*\\[?\\s*-?\\s*console\\b").matcher(text).find()) {
            return Runs.CONSOLE;
        }
        if (Pattern.compile("args:\\s*\\[?\\s*-?\\s*export\\b[\\s\\S]{0,20}\\bfocus\\b").matcher(text).find()) {
            return Runs.FOCUS_EXPORT;
        }
        return Runs.OTHER;
    }

    /** The LLM_AUDIT_* variables each command reads: names, and prefixes passed through to Kafka/HTTP/Flink settings. */
    static java.util.function.Predicate<String> reads(Runs what) {
        Set<String> names = new HashSet<>(List.of("LLM_AUDIT_JAVA_OPTS", "LLM_AUDIT_LOG_LEVEL"));
        List<String> prefixes = new ArrayList<>();
        switch (what) {
            case INGEST -> {
                // Raw defaults (${env:NAME:-...}) name the variables each option of ingest serve reads (the cluster mixin included).
                CommandLine serve = LlmAuditCommand.commandLine().setInterpolateVariables(false).getSubcommands().get("ingest")
                        .getSubcommands().get("serve");
                Pattern env = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
                serve.getCommandSpec().options().forEach(o -> {
                    if (o.defaultValue() != null) {
                        Matcher m = env.matcher(o.defaultValue());
                        if (m.find()) {
                            names.add(m.group(1));
                        }
                    }
                });
                names.add(serve.getCommandSpec().findOption("--hmac-key-env").defaultValue());
                names.add("LLM_AUDIT_SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD");
                prefixes.addAll(List.of("LLM_AUDIT_INGEST_KAFKA_", "LLM_AUDIT_KAFKA_", "LLM_AUDIT_INGEST_HTTP_", "LLM_AUDIT_INGEST_ADMIN_"));
            }
            case ENFORCER -> {
                EnforcerConfig.KEYS.forEach(k -> names.add("LLM_AUDIT_ENFORCER_" + k.toUpperCase(Locale.ROOT).replace('.', '_')));
                dev.llmaudit.jobs.JobSettings.SHARED_KEYS.forEach(k -> names.add("LLM_AUDIT_" + k.toUpperCase(Locale.ROOT).replace('.', '_')));
                prefixes.addAll(List.of("LLM_AUDIT_ENFORCER_STREAMS_", "LLM_AUDIT_ENFORCER_HTTP_"));
            }
            case ROLLUPS -> {
                RollupsConfig.KEYS.forEach(k -> names.add("LLM_AUDIT_ROLLUPS_" + k.toUpperCase(Locale.ROOT).replace('.', '_')));
                dev.llmaudit.jobs.JobSettings.SHARED_KEYS.forEach(k -> names.add("LLM_AUDIT_" + k.toUpperCase(Locale.ROOT).replace('.', '_')));
                prefixes.addAll(List.of("LLM_AUDIT_ROLLUPS_KAFKA_", "LLM_AUDIT_ROLLUPS_FLINK_"));
            }
            case NOTIFY, CONSOLE, FOCUS_EXPORT -> {
                CommandLine top = LlmAuditCommand.commandLine().setInterpolateVariables(false);
                CommandLine cmd = what == Runs.FOCUS_EXPORT ? top.getSubcommands().get("export").getSubcommands().get("focus")
                        : top.getSubcommands().get(what == Runs.NOTIFY ? "notify" : "console");
                Pattern env = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
                cmd.getCommandSpec().options().forEach(o -> {
                    if (o.defaultValue() != null) {
                        Matcher m = env.matcher(o.defaultValue());
                        if (m.find()) {
                            names.add(m.group(1));
                        }
                    }
                });
                names.add("LLM_AUDIT_SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD");
                prefixes.add("LLM_AUDIT_KAFKA_");
                if (what == Runs.CONSOLE) {
                    prefixes.add("LLM_AUDIT_CONSOLE_HTTP_");
                }
            }
            case OTHER -> names.clear();
        }
        return n -> names.contains(n) || prefixes.stream().anyMatch(n::startsWith);
    }

    /** Every workload of the manifests (k8s Deployments, FlinkDeployments; compose services), by name. */
    static Map<String, Map<String, Object>> workloads() throws Exception {
        Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
        for (Map<String, Object> d : k8s()) {
            if (List.of("Deployment", "StatefulSet", "FlinkDeployment", "Job").contains(d.get("kind"))) {
                out.put("k8s " + d.get("kind") + " " + at(d, "metadata", "name"), d);
            }
        }
        Map<String, Map<String, Object>> services = at(docs(DEPLOY.resolve("compose/compose.yaml")).get(0), "services");
        services.forEach((name, svc) -> out.put("compose " + name, svc));
        return out;
    }

    @Test
    void eachServiceSetsOnlyVariablesItsOwnCommandReads() throws Exception {
        Map<Runs, Integer> seen = new HashMap<>();
        for (var w : workloads().entrySet()) {
            Runs what = runs(w.getValue());
            seen.merge(what, 1, Integer::sum);
            List<String> env = new ArrayList<>();
            collectEnv(w.getValue(), env);
            var known = reads(what);
            for (String name : env) {
                if (name.startsWith("LLM_AUDIT_")) {
                    // e.g. LLM_AUDIT_BOOTSTRAP_SERVERS on a job that reads LLM_AUDIT_ENFORCER_* would be silently ignored.
                    assertThat(known.test(name)).as(w.getKey() + " (" + what + ") sets " + name + ", which its command does not read").isTrue();
                }
            }
        }
        assertThat(seen).containsKeys(Runs.INGEST, Runs.ENFORCER, Runs.ROLLUPS, Runs.NOTIFY, Runs.CONSOLE, Runs.FOCUS_EXPORT);
        assertThat(reads(Runs.FOCUS_EXPORT).test("LLM_AUDIT_FOCUS_CONFIG")).isTrue();
        assertThat(reads(Runs.FOCUS_EXPORT).test("LLM_AUDIT_NOTIFY_CONFIG")).isFalse();
        assertThat(reads(Runs.NOTIFY).test("LLM_AUDIT_NOTIFY_CONFIG")).isTrue();
        assertThat(reads(Runs.CONSOLE).test("LLM_AUDIT_NOTIFY_CONFIG")).as("the check can fail").isFalse();
        assertThat(reads(Runs.ENFORCER).test("LLM_AUDIT_INGEST_KEYS")).as("the check can fail").isFalse();
        assertThat(reads(Runs.INGEST).test("LLM_AUDIT_ENFORCER_BUNDLE_DIR")).isFalse();
    }

    @Test
    void configMapsUseOnlySettingsTheCodeReads(@TempDir Path dir) throws Exception {
        int checked = 0;
        for (Map<String, Object> d : k8s()) {
            if ("ConfigMap".equals(d.get("kind"))) {
                Map<String, String> data = at(d, "data");
                for (var e : data.entrySet()) {
                    if (!e.getKey().endsWith(".properties")) {
                        continue; // e.g. the registry's jaas.conf
                    }
                    Path f = dir.resolve(e.getKey());
                    Files.writeString(f, e.getValue());
                    // Loading refuses unknown keys: the manifests cannot drift from the code.
                    if (e.getKey().startsWith("enforcer")) {
                        assertThat(EnforcerConfig.load(f, Map.of()).applicationId()).isEqualTo("llm-audit-enforcer");
                    } else {
                        assertThat(RollupsConfig.load(f, Map.of()).groupId()).isEqualTo("llm-audit-rollups");
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(2);
    }

    @Test
    void kafkaIsReachedOnlyOverTlsWithScramAndOnlyByLabelledPods() throws Exception {
        Map<String, Object> kafka = k8s().stream().filter(d -> "Kafka".equals(d.get("kind"))).findFirst().orElseThrow();
        List<Map<String, Object>> listeners = at(kafka, "spec", "kafka", "listeners");
        assertThat(listeners).allSatisfy(l -> {
            assertThat(l.get("tls")).as("listener " + l.get("name") + " tls").isEqualTo(true);
            assertThat((String) at(l, "authentication", "type")).isEqualTo("scram-sha-512");
            assertThat(l.get("networkPolicyPeers").toString()).contains("kafka-client=true");
        });
        int port = ((Number) listeners.get(0).get("port")).intValue();
        String bootstrap = "llm-audit-kafka-bootstrap:" + port;

        // Every pod that talks to Kafka carries the label the listener's policy admits, and connects with SASL_SSL.
        List<String> clients = new ArrayList<>();
        for (Map<String, Object> d : k8s()) {
            String text = new Yaml().dump(d);
            // Every Kafka client gets the SCRAM JAAS line from its KafkaUser secret.
            boolean usesKafka = text.contains("llm-audit-kafka-bootstrap") || text.contains("sasl.jaas.config");
            if (!usesKafka) {
                continue;
            }
            String name = at(d, "metadata", "name");
            if (text.contains("llm-audit-kafka-bootstrap")) {
                assertThat(text).as(name + " bootstrap").contains(bootstrap).doesNotContain("llm-audit-kafka-bootstrap:9092");
            }
            assertThat(text).as(name + " protocol").doesNotContain("SASL_PLAINTEXT").doesNotContain("PLAINTEXT://");
            // Configured in the manifest itself (the enforcer and rollups jobs take it from their ConfigMaps, checked as ConfigMaps).
            if ("ConfigMap".equals(d.get("kind")) || List.of("ingest-gateway", "schema-registry").contains(name)) {
                assertThat(text).as(name + " protocol").contains("SASL_SSL");
            }
            if (!"ConfigMap".equals(d.get("kind"))) {
                assertThat(text).as(name + " label").contains("kafka-client: 'true'");
                clients.add(name);
            }
        }
        assertThat(clients).contains("ingest-gateway", "enforcer", "schema-registry");
        assertThat(k8s().stream().filter(d -> "FlinkDeployment".equals(d.get("kind"))).findFirst().map(d -> new Yaml().dump(d)).orElseThrow())
                .contains("kafka-client: 'true'").contains("SSL_TRUSTSTORE_PASSWORD");
    }

    @Test
    void theRegistryRequiresAuthenticationAndEveryClientSendsIt() throws Exception {
        Map<String, Object> registry = k8s().stream().filter(d -> "Deployment".equals(d.get("kind"))
                && "schema-registry".equals(at(d, "metadata", "name"))).findFirst().orElseThrow();
        String text = new Yaml().dump(registry);
        assertThat(text).contains("SCHEMA_REGISTRY_AUTHENTICATION_METHOD", "BASIC", "java.security.auth.login.config");
        for (Map<String, Object> d : k8s()) {
            String all = new Yaml().dump(d);
            if (all.contains("http://schema-registry:8081") && !"ConfigMap".equals(d.get("kind"))) {
                assertThat(all).as(at(d, "metadata", "name") + " registry credentials")
                        .containsAnyOf("LLM_AUDIT_SCHEMA_REGISTRY_USER_INFO", "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO");
                assertThat(all).as(at(d, "metadata", "name") + " label").contains("schema-registry-client: 'true'");
            }
        }
    }

    @Test
    void networkPoliciesDenyByDefaultAndProbesUseTheAdminPorts() throws Exception {
        List<Map<String, Object>> policies = k8s().stream().filter(d -> "NetworkPolicy".equals(d.get("kind"))).toList();
        assertThat(policies).anySatisfy(p -> {
            assertThat((Map<?, ?>) at(p, "spec", "podSelector")).isEmpty();
            assertThat(at(p, "spec", "ingress") == null).as("default deny has no ingress rule").isTrue();
        });
        Map<String, Object> gateway = k8s().stream().filter(d -> "Deployment".equals(d.get("kind"))
                && "ingest-gateway".equals(at(d, "metadata", "name"))).findFirst().orElseThrow();
        List<Map<String, Object>> containers = at(gateway, "spec", "template", "spec", "containers");
        Map<String, Object> c = containers.get(0);
        assertThat((String) at(c, "livenessProbe", "httpGet", "port")).isEqualTo("admin");
        assertThat((String) at(c, "readinessProbe", "httpGet", "port")).isEqualTo("admin");
        assertThat(c.get("ports").toString()).contains("name=admin, containerPort=8090");
    }

    @Test
    void composePublishesEveryPortOnLoopbackOnly() throws Exception {
        Map<String, Map<String, Object>> services = at(docs(DEPLOY.resolve("compose/compose.yaml")).get(0), "services");
        List<String> published = new ArrayList<>();
        services.forEach((name, svc) -> {
            List<String> ports = (List<String>) svc.get("ports");
            if (ports != null) {
                ports.forEach(p -> {
                    assertThat(p).as(name + " port " + p).startsWith("127.0.0.1:");
                    published.add(p);
                });
            }
        });
        assertThat(published).contains("127.0.0.1:8088:8088", "127.0.0.1:8090:8090");
    }

    /** One property or plugin setting of a module's POM (the build that makes the images). */
    static String pomText(String module, String xpath) throws Exception {
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("..", module, "pom.xml").toFile());
        // POMs use a default namespace; the builder above is not namespace-aware, so plain names match.
        String v = javax.xml.xpath.XPathFactory.newInstance().newXPath().evaluate(xpath, doc).trim();
        assertThat(v).as(module + "/pom.xml " + xpath).isNotEmpty();
        return v;
    }

    static String resolve(String value) throws Exception {
        Matcher m = Pattern.compile("\\$\\{([a-z.]+)}").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(pomText(".", "/project/properties/" + m.group(1))));
        }
        return m.appendTail(out).toString();
    }

    @Test
    void manifestsRunTheImagesTheBuildMakesWithTheFilesWhereTheImagesPutThem() throws Exception {
        String jib = "//profile[id='images']//plugin[artifactId='jib-maven-plugin']/configuration";
        String cliImage = resolve(pomText("cli", jib + "/to/image"));
        String rollupsImage = resolve(pomText("stream-jobs/rollups", jib + "/to/image"));
        assertThat(cliImage).isEqualTo("llm-audit/llm-audit:" + resolve("${image.tag}"));
        assertThat(pomText(".", "/project/version")).startsWith(resolve("${image.tag}"));

        // Every image a manifest runs is either one of ours, exactly as built, or a third-party one.
        List<String> images = new ArrayList<>();
        for (Map<String, Object> d : k8s()) {
            collectImages(d, images);
        }
        collectImages(docs(DEPLOY.resolve("compose/compose.yaml")).get(0), images);
        assertThat(images).contains(cliImage, rollupsImage);
        images.stream().filter(i -> i.startsWith("llm-audit/")).forEach(i -> assertThat(i).isIn(cliImage, rollupsImage));

        // The bundle directory the configs name is where both images put the default bundle.
        String bundleInto = "/extraDirectories/paths/path[contains(from,'policies/bundle')]/into";
        assertThat(pomText("cli", jib + bundleInto)).isEqualTo("/opt/llm-audit/policies/bundle");
        assertThat(pomText("stream-jobs/rollups", jib + bundleInto)).isEqualTo("/opt/llm-audit/policies/bundle");
        for (Map<String, Object> d : k8s()) {
            if ("ConfigMap".equals(d.get("kind"))) {
                Map<String, String> data = at(d, "data");
                data.forEach((k, v) -> {
                    if (k.endsWith(".properties")) {
                        assertThat(v).contains("bundle.dir=/opt/llm-audit/policies/bundle");
                    }
                });
            }
        }

        // Pods running the CLI image run as its user (so its writable working directory is theirs).
        String imageUser = pomText("cli", jib + "/container/user");
        for (Map<String, Object> d : k8s()) {
            List<String> podImages = new ArrayList<>();
            collectImages(d, podImages);
            if ("Deployment".equals(d.get("kind")) && podImages.contains(cliImage)) {
                Object uid = at(d, "spec", "template", "spec", "securityContext", "runAsUser");
                assertThat(String.valueOf(uid)).as("runAsUser of " + at(d, "metadata", "name")).isEqualTo(imageUser.split(":")[0]);
            }
        }

        // The Flink operator's jarURI is the shaded job jar where the rollups image puts it.
        Map<String, Object> flink = k8s().stream().filter(d -> "FlinkDeployment".equals(d.get("kind"))).findFirst().orElseThrow();
        String jarName = Path.of(pomText("stream-jobs/rollups", "//execution[id='rollups-job-jar']/configuration/outputFile")).getFileName()
                .toString();
        String jarInto = pomText("stream-jobs/rollups", jib + "/extraDirectories/paths/path[includes]/into");
        assertThat(pomText("stream-jobs/rollups", jib + "/extraDirectories/paths/path[includes]/includes")).isEqualTo(jarName);
        assertThat((String) at(flink, "spec", "job", "jarURI")).isEqualTo("local://" + jarInto + "/" + jarName);
        assertThat((String) at(flink, "spec", "image")).isEqualTo(rollupsImage);
    }

    @SuppressWarnings("unchecked")
    static void collectImages(Object node, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            if (m.get("image") instanceof String image) {
                out.add(image);
            }
            m.values().forEach(v -> collectImages(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectImages(v, out));
        }
    }

    @SuppressWarnings("unchecked")
    static void collectEnv(Object node, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            Object env = m.get("env");
            if (env instanceof List<?> list) {
                list.forEach(x -> out.add(String.valueOf(((Map<String, Object>) x).get("name"))));
            }
            Object environment = m.get("environment");
            if (environment instanceof Map<?, ?> em) {
                em.keySet().forEach(k -> out.add(String.valueOf(k)));
            }
            m.values().forEach(v -> collectEnv(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectEnv(v, out));
        }
    }

    /** The collector example sends to the gateway's Service and path, within its batch limit, through components it defines. */
    @Test
    @SuppressWarnings("unchecked")
    void otelCollectorExampleExportsGenAiSpansToTheGateway() throws Exception {
        Map<String, Object> collector = docs(DEPLOY.resolve("otel-collector.yaml")).get(0);
        Map<String, Object> exporter = at(collector, "exporters", "otlphttp/llm-audit");
        Map<String, Object> service = k8s().stream().filter(d -> "Service".equals(d.get("kind")))
                .filter(d -> "ingest-gateway".equals(at(d, "metadata", "name"))).findFirst().orElseThrow();
        assertThat(exporter.get("traces_endpoint"))
                .isEqualTo("http://" + at(service, "metadata", "name") + "." + at(service, "metadata", "namespace") + ".svc/v1/traces");
        assertThat(at(exporter, "headers", "Authorization").toString()).isEqualTo("Bearer ${env:LLM_AUDIT_INGEST_KEY}");
        int batchMax = (Integer) at(collector, "processors", "batch", "send_batch_max_size");
        assertThat(batchMax).isLessThanOrEqualTo(dev.llmaudit.ingest.gateway.GatewayConfig.defaults("k", "r").maxEventsPerRequest());
        Map<String, Object> pipeline = at(collector, "service", "pipelines", "traces/llm-audit");
        for (String kind : List.of("receivers", "processors", "exporters")) {
            assertThat((List<String>) pipeline.get(kind)).as(kind).allSatisfy(name -> assertThat(at(collector, kind, name) != null
                    || ((Map<String, Object>) collector.get(kind)).containsKey(name)).as(name + " is defined").isTrue());
        }
        assertThat(at(collector, "processors", "filter/genai-only", "traces", "span").toString()).contains("gen_ai.operation.name", "gen_ai.system");
    }

    /** The notify ConfigMap is a config the command loads, with its secrets from variables the Deployment sets. */
    @Test
    @SuppressWarnings("unchecked")
    void notifyConfigLoadsWithTheVariablesItsDeploymentSets(@TempDir Path dir) throws Exception {
        Map<String, Object> cm = k8s().stream().filter(d -> "ConfigMap".equals(d.get("kind")) && "notify".equals(at(d, "metadata", "name")))
                .findFirst().orElseThrow();
        Map<String, Object> deployment = k8s().stream().filter(d -> "Deployment".equals(d.get("kind")) && "notify".equals(at(d, "metadata", "name")))
                .findFirst().orElseThrow();
        List<String> env = new ArrayList<>();
        collectEnv(deployment, env);
        Map<String, String> fake = new HashMap<>();
        env.forEach(n -> fake.put(n, n.contains("URL") ? "https://hooks.example.com/x" : "value"));
        Path f = dir.resolve("notify.yaml");
        Files.writeString(f, (String) ((Map<String, Object>) cm.get("data")).get("notify.yaml"));
        var cfg = dev.llmaudit.cli.notify.NotifyConfig.load(f, fake);
        assertThat(cfg.groupId()).isEqualTo("llm-audit-notify");
        assertThat(cfg.webhooks()).hasSize(2);
    }

    /** The FOCUS export's ConfigMap loads, and it reads the rollups as the finance user (read only, no group needed). */
    @Test
    @SuppressWarnings("unchecked")
    void focusExportLoadsItsBillingAccountsAndReadsAsFinance(@TempDir Path dir) throws Exception {
        Map<String, Object> cm = k8s().stream().filter(d -> "ConfigMap".equals(d.get("kind")) && "focus-export".equals(at(d, "metadata", "name")))
                .findFirst().orElseThrow();
        Path f = dir.resolve("focus.yaml");
        Files.writeString(f, (String) ((Map<String, Object>) cm.get("data")).get("focus.yaml"));
        var accounts = dev.llmaudit.cli.focus.BillingAccounts.load(f);
        assertThat(accounts.byCloud()).containsKeys("azure", "aws", "gcp", "openai");

        Map<String, Object> deployment = k8s().stream()
                .filter(d -> "Deployment".equals(d.get("kind")) && "focus-export".equals(at(d, "metadata", "name"))).findFirst().orElseThrow();
        String text = new Yaml().dump(deployment);
        assertThat(text).contains("name: finance, key: sasl.jaas.config");
        // The command line the Deployment runs parses (a typo in a flag would only show when the pod starts).
        Map<String, Object> container = ((List<Map<String, Object>>) at(deployment, "spec", "template", "spec", "containers")).get(0);
        List<String> args = new ArrayList<>((List<String>) container.get("args"));
        String to = ((List<Map<String, Object>>) container.get("env")).stream().filter(e -> "LLM_AUDIT_FOCUS_TO".equals(e.get("name")))
                .map(e -> (String) e.get("value")).findFirst().orElseThrow();
        assertThat(to).startsWith("s3://");
        args.addAll(List.of("--to", to)); // what LLM_AUDIT_FOCUS_TO gives it in the pod
        CommandLine.ParseResult parsed = LlmAuditCommand.commandLine().parseArgs(args.toArray(String[]::new));
        assertThat(parsed.subcommand().subcommand().commandSpec().name()).isEqualTo("focus");
    }
}
