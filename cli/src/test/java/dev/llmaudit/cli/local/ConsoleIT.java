package dev.llmaudit.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.avro.UsageRollup;
import dev.llmaudit.cli.console.ConsoleData;
import dev.llmaudit.cli.console.ConsoleFeed;
import dev.llmaudit.cli.console.ConsoleServer;
import dev.llmaudit.schemas.registry.RegistryConfig;
import dev.llmaudit.schemas.registry.SchemaRegistryClient;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (headless Chromium driven by Selenium, Debian's chromium and
 * chromium-driver) over a real local pipeline: the embedded broker, registry, gateway, enforcer and
 * the Flink rollups job, fed a small events file. The pages show what reached the topics, the filters
 * filter, the live view updates without a reload, and screenshots are saved to
 * {@code target/console-screenshots}. Roles are checked over HTTP.
 */
class ConsoleIT {
    static final Path BUNDLE = Path.of("..", "policies", "bundle").toAbsolutePath().normalize();
    static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    static String call(String id, String time, String extra) {
        return "{\"event_id\":\"" + id + "\",\"event_time\":\"" + time + "\",\"tenant\":\"acme-eu\",\"team\":\"claims\",\"environment\":\"prod\","
                + "\"input_tokens\":1000" + (extra.contains("output_tokens") ? "" : ",\"output_tokens\":200") + extra + "}";
    }

    static final String EU_OK = ",\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"request_model\":\"eu.anthropic.claude-sonnet-4-5-20250929-v1:0\","
            + "\"data_classification\":\"pii\"";
    static final String EU_BREACH = ",\"cloud\":\"aws\",\"region\":\"eu-central-1\",\"request_model\":\"global.anthropic.claude-sonnet-4-5-20250929-v1:0\","
            + "\"data_classification\":\"pii\"";
    static final String AZURE_BIG = ",\"cloud\":\"azure\",\"region\":\"swedencentral\",\"deployment_scope\":\"data_zone\",\"request_model\":\"gpt-5.5\","
            + "\"output_tokens\":40000000";

    static WebDriver browser() {
        assertThat(CHROMIUM).as("Debian's chromium is needed for the console test: apt-get install chromium chromium-driver"
                + " (.ci/run installs them)").exists();
        assertThat(CHROMEDRIVER).as("Debian's chromium-driver is needed: apt-get install chromium-driver").exists();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toString())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=en");
        return new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build(), options);
    }

    static void screenshot(WebDriver b, String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) b).getScreenshotAs(OutputType.BYTES));
    }

    static List<WebElement> rows(WebDriver b, String table) {
        return b.findElements(By.cssSelector("#" + table + " tbody tr"));
    }

    static List<String> column(WebDriver b, String table, int index) {
        return rows(b, table).stream().map(r -> r.findElements(By.tagName("td")).get(index).getText()).toList();
    }

    @Test
    void pagesShowThePipelineFiltersWorkTheViewIsLiveAndRolesAreEnforced(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("events.jsonl");
        Files.write(events, List.of(
                call("eu-ok", "2026-11-02T10:05:00Z", EU_OK),
                call("eu-breach", "2026-11-02T10:10:00Z", EU_BREACH),
                call("big-1", "2026-11-02T11:00:00Z", AZURE_BIG),
                call("big-2", "2026-11-03T09:00:00Z", AZURE_BIG),
                call("openai", "2026-11-02T12:30:00Z", ",\"cloud\":\"openai\",\"request_model\":\"gpt-5.5\"")));
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir.resolve("work"), 0, 0, 0, BUNDLE), line -> { })) {
            Properties client = new Properties();
            client.put("bootstrap.servers", stack.bootstrapServers());
            SchemaRegistryClient registry = new SchemaRegistryClient(RegistryConfig.of(stack.registryUrl()));
            new Ingest().replay(events, client, registry, stack.topics.events(), line -> { });
            Ingest.corrupt(client, stack.topics.events(), 1);   // a producer bypassing the client: a dead letter with a reason
            awaitPriced(client, registry, stack, 5);
            Thread.sleep(1_500);   // budget statuses are written on a 1 s interval
            stack.startRollups(true);
            stack.rollups.getJobExecutionResult().get(5, TimeUnit.MINUTES);
            stack.rollups = null;
            List<UsageRollup> hourly = TopicReader.readAll(client, registry, dev.llmaudit.jobs.PipelineTopics.defaults().rollups(),
                    UsageRollup.class).stream().map(r -> r.value()).filter(r -> r.getXGranularity().name().equals("hour")).toList();
            BigDecimal expectedTotal = hourly.stream().map(r -> r.getListCost().getAmount()).reduce(BigDecimal.ZERO, BigDecimal::add);

            String finance = "fin-token";
            String security = "sec-token";
            ConsoleData data = new ConsoleData();
            try (ConsoleFeed feed = new ConsoleFeed(client, registry, new ConsoleFeed.Topics(dev.llmaudit.jobs.PipelineTopics.defaults().rollups(),
                    stack.topics.budgetStatus(), stack.topics.violations(), stack.topics.dlq()), data);
                 ConsoleServer open = ConsoleServer.start(data, Map.of(), "127.0.0.1", 0);
                 ConsoleServer guarded = ConsoleServer.start(data, Map.of(ConsoleServer.sha256(finance), ConsoleServer.Role.finance,
                         ConsoleServer.sha256(security), ConsoleServer.Role.security), "127.0.0.1", 0)) {
                // Roles, over HTTP: no token 401; finance sees spend, not violations; security the reverse.
                HttpClient http = HttpClient.newHttpClient();
                String g = "http://127.0.0.1:" + guarded.port();
                assertThat(get(http, g + "/api/spend", null).statusCode()).isEqualTo(401);
                assertThat(get(http, g + "/api/spend", finance).statusCode()).isEqualTo(200);
                assertThat(get(http, g + "/api/violations", finance).statusCode()).isEqualTo(403);
                assertThat(get(http, g + "/api/violations", security).statusCode()).isEqualTo(200);
                assertThat(get(http, g + "/api/budgets", security).statusCode()).isEqualTo(403);
                assertThat(get(http, g + "/api/violations?since=yesterday", security).statusCode()).as("a bad filter is a 400").isEqualTo(400);
                assertThat(get(http, g + "/api/violations?severity=urgent", security).statusCode()).isEqualTo(400);
                assertThat(get(http, g + "/api/violations", "sec-token-wrong").statusCode()).as("an unknown token").isEqualTo(401);
                // Without tokens, only requests naming this machine are answered (a DNS-rebinding page names its own host).
                try (java.net.Socket raw = new java.net.Socket("127.0.0.1", open.port())) {
                    raw.getOutputStream().write("GET /api/spend HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    String answer = new String(raw.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    assertThat(answer).startsWith("HTTP/1.1 403").contains("127.0.0.1 or localhost");
                }
                Path empty = Files.writeString(dir.resolve("empty-tokens.txt"), "# none yet\n");
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConsoleServer.loadTokens(empty))
                        .hasMessageContaining("no tokens in it");
                assertThat(get(http, g + "/", null).body()).as("pages carry no data and need no token").contains("llm-audit console");
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConsoleServer.start(data, Map.of(), "0.0.0.0", 0))
                        .hasMessageContaining("not a loopback address: give --tokens FILE");

                WebDriver b = browser();
                try {
                    WebDriverWait wait = new WebDriverWait(b, Duration.ofSeconds(30));
                    b.get("http://127.0.0.1:" + open.port() + "/#spend");
                    try {
                        // One row per hour and cloud: the hourly rollups of each hour and cloud added up.
                        wait.until(d -> rows(d, "spend-table").size() == hourly.stream().map(r -> r.getChargePeriodStart() + "|" + r.getXCloud())
                                .distinct().count());
                    } catch (org.openqa.selenium.TimeoutException e) {
                        screenshot(b, "failed-spend");
                        throw new AssertionError("spend rows " + rows(b, "spend-table").size() + " of " + hourly.size() + "; status: "
                                + b.findElement(By.id("status")).getText() + "; api: " + get(HttpClient.newHttpClient(),
                                "http://127.0.0.1:" + open.port() + "/api/spend?by=cloud", null).body(), e);
                    }
                    BigDecimal shown = column(b, "spend-table", 2).stream().map(BigDecimal::new).reduce(BigDecimal.ZERO, BigDecimal::add);
                    assertThat(shown).as("the page's hourly costs add up to the topic's, exactly").isEqualByComparingTo(expectedTotal);
                    assertThat(b.findElements(By.cssSelector("#spend-chart canvas"))).as("the chart rendered").isNotEmpty();
                    assertThat(column(b, "spend-table", 1)).contains("aws", "azure", "openai");
                    screenshot(b, "spend");
                    new Select(b.findElement(By.id("spend-by"))).selectByValue("team");
                    wait.until(d -> !rows(d, "spend-table").isEmpty() && column(d, "spend-table", 1).stream().allMatch("claims"::equals));

                    b.findElement(By.id("tab-budgets")).click();
                    wait.until(d -> !rows(d, "budget-table").isEmpty());
                    assertThat(b.findElement(By.id("tab-budgets")).getAttribute("aria-current")).isEqualTo("page");
                    screenshot(b, "budgets");

                    b.findElement(By.id("tab-savings")).click();
                    wait.until(d -> !rows(d, "savings-table").isEmpty());

                    b.findElement(By.id("tab-violations")).click();
                    wait.until(d -> !rows(d, "violations-table").isEmpty());
                    int all = rows(b, "violations-table").size();
                    List<String> severities = column(b, "violations-table", 1);
                    List<String> order = List.of("info", "low", "medium", "high", "critical");
                    long highOrAbove = severities.stream().filter(x -> order.indexOf(x) >= order.indexOf("high")).count();
                    assertThat(highOrAbove).as("the residency breach is high").isPositive().isLessThan(all);
                    new Select(b.findElement(By.id("f-severity"))).selectByValue("high");
                    b.findElement(By.cssSelector("#violation-filters button")).click();
                    wait.until(d -> rows(d, "violations-table").size() == highOrAbove);
                    assertThat(column(b, "violations-table", 1)).allMatch(x -> order.indexOf(x) >= order.indexOf("high"));
                    screenshot(b, "violations");
                    new Select(b.findElement(By.id("f-severity"))).selectByValue("");
                    b.findElement(By.id("f-tenant")).sendKeys("nobody");
                    b.findElement(By.cssSelector("#violation-filters button")).click();
                    wait.until(d -> rows(d, "violations-table").isEmpty());
                    b.findElement(By.id("f-tenant")).clear();
                    b.findElement(By.cssSelector("#violation-filters button")).click();
                    wait.until(d -> rows(d, "violations-table").size() == all);

                    // Live: a new breach reaches the open page without a reload.
                    Path more = dir.resolve("more.jsonl");
                    Files.write(more, List.of(call("eu-breach-2", "2026-11-02T10:40:00Z", EU_BREACH)));
                    new Ingest().replay(more, client, registry, stack.topics.events(), line -> { });
                    wait.withTimeout(Duration.ofSeconds(60)).until(d -> rows(d, "violations-table").size() > all);
                    assertThat(b.findElement(By.cssSelector("#violations-table tbody")).getText()).contains("eu-breach-2");

                    b.findElement(By.id("tab-dlq")).click();
                    wait.until(d -> !rows(d, "dlq-table").isEmpty());
                    assertThat(column(b, "dlq-table", 3).get(0)).as("each dead letter says why").isNotBlank();
                    screenshot(b, "dead-letters");
                } finally {
                    b.quit();
                }
            }
        }
    }

    static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void awaitPriced(Properties client, SchemaRegistryClient registry, LocalStack stack, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (TopicReader.readAll(client, registry, stack.topics.priced(), dev.llmaudit.avro.PricedLlmCall.class).size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the enforcer did not price " + n + " events in 60 s");
            }
            Thread.sleep(500);
        }
    }
}
