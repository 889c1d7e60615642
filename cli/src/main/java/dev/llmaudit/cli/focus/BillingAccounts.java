package dev.llmaudit.cli.focus;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The billing account of each cloud (FOCUS BillingAccountId is mandatory and never null, and events
 * carry no account): Azure billing account, AWS payer account, GCP billing account, OpenAI or
 * Anthropic organisation. Also who invoices it, when a reseller does.
 *
 * <pre>
 * billing_accounts:
 *   azure:  {id: "8611537", name: "Contoso EA", invoice_issuer: "Microsoft"}
 *   aws:    {id: "123456789012", name: "Contoso payer"}
 *   openai: {id: "org-4Fz2", name: "Contoso"}
 * </pre>
 */
public record BillingAccounts(Map<String, Account> byCloud) {
    static final Set<String> CLOUDS = Set.of("azure", "aws", "gcp", "openai", "anthropic", "other");

    /** @param invoiceIssuer null: the provider invoices */
    public record Account(String id, String name, String invoiceIssuer) {}

    public BillingAccounts {
        byCloud = Map.copyOf(byCloud);
    }

    public Account of(String cloud) {
        return cloud == null ? null : byCloud.get(cloud);
    }

    /** Reads the {@code billing_accounts} section of an export config file; unknown keys are errors that name the line's key. */
    public static BillingAccounts load(Path file) throws IOException {
        Object root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            return new BillingAccounts(Map.of());
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException(file + ": expected a mapping with billing_accounts");
        }
        for (Object k : top.keySet()) {
            if (!"billing_accounts".equals(k)) {
                throw new IllegalArgumentException(file + ": unknown key \"" + k + "\" (expected billing_accounts)");
            }
        }
        Object section = top.get("billing_accounts");
        if (section == null) {
            return new BillingAccounts(Map.of());
        }
        if (!(section instanceof Map<?, ?> clouds)) {
            throw new IllegalArgumentException(file + ": billing_accounts must map a cloud to {id, name, invoice_issuer}");
        }
        Map<String, Account> out = new LinkedHashMap<>();
        for (var e : clouds.entrySet()) {
            String cloud = cloud(String.valueOf(e.getKey()), file + ": billing_accounts");
            if (!(e.getValue() instanceof Map<?, ?> fields)) {
                throw new IllegalArgumentException(file + ": billing_accounts." + cloud + " must be {id, name, invoice_issuer}");
            }
            for (Object k : fields.keySet()) {
                if (!List.of("id", "name", "invoice_issuer").contains(String.valueOf(k))) {
                    throw new IllegalArgumentException(file + ": billing_accounts." + cloud + ": unknown key \"" + k
                            + "\" (expected id, name, invoice_issuer)");
                }
            }
            out.put(cloud, account(text(fields.get("id")), text(fields.get("name")), text(fields.get("invoice_issuer")),
                    file + ": billing_accounts." + cloud));
        }
        return new BillingAccounts(out);
    }

    /** {@code CLOUD=ID} or {@code CLOUD=ID,NAME} (the flag form). */
    public static Map.Entry<String, Account> parse(String flag) {
        int eq = flag.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--billing-account " + flag + ": expected CLOUD=ID or CLOUD=ID,NAME, e.g. aws=123456789012,Contoso payer");
        }
        String cloud = cloud(flag.substring(0, eq), "--billing-account " + flag);
        String rest = flag.substring(eq + 1);
        int comma = rest.indexOf(',');
        String id = comma < 0 ? rest : rest.substring(0, comma);
        String name = comma < 0 ? null : rest.substring(comma + 1);
        return Map.entry(cloud, account(id, name, null, "--billing-account " + flag));
    }

    /** These accounts with others on top (flags over the file). */
    public BillingAccounts with(Map<String, Account> more) {
        Map<String, Account> all = new LinkedHashMap<>(byCloud);
        all.putAll(more);
        return new BillingAccounts(all);
    }

    private static Account account(String id, String name, String issuer, String where) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException(where + ": id is required (FOCUS BillingAccountId is never empty)");
        }
        for (String v : new String[] {id, name, issuer}) {
            if (v != null && (v.isBlank() || v.length() > 200)) {
                throw new IllegalArgumentException(where + ": values must be 1 to 200 characters");
            }
        }
        return new Account(id.strip(), name == null ? null : name.strip(), issuer == null ? null : issuer.strip());
    }

    private static String cloud(String name, String where) {
        String c = name.strip().toLowerCase(Locale.ROOT);
        if (!CLOUDS.contains(c)) {
            throw new IllegalArgumentException(where + ": unknown cloud \"" + name + "\" (expected one of azure, aws, gcp, openai, anthropic, other)");
        }
        return c;
    }

    private static String text(Object v) {
        return v == null ? null : String.valueOf(v);
    }
}
