using System.Text.Json;
using LlmMeter.Ops.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests;

/// <summary>The shipped Prometheus and Alertmanager configuration checked by the real promtool and amtool.</summary>
public sealed class PromtoolTests
{
    [Fact]
    public async Task CheckConfig_TestCopyOfPrometheusYml_PassesWithEveryRuleFile()
    {
        using var folder = new TempFolder();
        var rules = Path.Combine(folder.Path, "rules");
        var copies = ShippedConfig.Rules(rules);
        var keyFile = folder.Write("metrics-key", "metrics-key-0123456789abc");
        var config = folder.Write("prometheus.yml", ShippedConfig.Prometheus("127.0.0.1:5080", "127.0.0.1:9093", rules, keyFile));

        var (exitCode, output) = await ToolProcess.RunAsync(Tools.Promtool, ["check", "config", config]);

        Assert.True(exitCode == 0, $"promtool check config exited {exitCode}:\n{output}");
        Assert.Contains($"SUCCESS: {copies.Count} rule files found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_ShippedPrometheusYmlAsIs_PassesFromTheRepositoryRoot()
    {
        // promtool checks that the scrape key's credentials file exists; docker-compose writes it at start. Stand one
        // in at the shipped path when this machine has none (and remove only what was created here).
        var keyFile = ShippedConfig.MetricsKeyFile;
        var keyFolder = Path.GetDirectoryName(keyFile)!;
        var createdFolder = !Directory.Exists(keyFolder);
        var created = !File.Exists(keyFile);
        if (created)
        {
            Directory.CreateDirectory(keyFolder);
            await File.WriteAllTextAsync(keyFile, "metrics-key-0123456789abc");
        }

        try
        {
            var (exitCode, output) = await ToolProcess.RunAsync(Tools.Promtool, ["check", "config", "prometheus.yml"], Repo.Root);

            Assert.True(exitCode == 0, $"promtool check config prometheus.yml exited {exitCode}:\n{output}");
            Assert.Contains($"SUCCESS: {ShippedConfig.RuleFiles().Count} rule files found", output, StringComparison.Ordinal);
        }
        finally
        {
            if (created)
            {
                File.Delete(keyFile);
            }

            if (createdFolder)
            {
                Directory.Delete(keyFolder);
            }
        }
    }

    [Fact]
    public void PrometheusYml_EveryCollectorScrape_SendsTheMetricsKeyFromACredentialsFile()
    {
        var config = Yaml.Load(Repo.PathOf("prometheus.yml"));
        var jobs = config.Items("scrape_configs").Where(j => j.Text("job_name") is "llmmeter-collector" or "llmmeter-demo").ToList();

        Assert.Equal(2, jobs.Count);
        foreach (var job in jobs)
        {
            var authorization = job.GetProperty("authorization");
            Assert.Equal("Bearer", authorization.Text("type"));
            Assert.False(authorization.TryGetProperty("credentials", out _), "The key must come from credentials_file, never from the committed file.");
            Assert.Equal(ShippedConfig.MetricsKeyFile, authorization.Text("credentials_file"));
        }

        // docker-compose writes that file from the env file's LLMMETER_Keys__Metrics before Prometheus starts.
        var prometheus = Yaml.Load(Repo.PathOf("docker-compose.yml")).GetProperty("services").GetProperty("prometheus");
        var command = string.Join(' ', prometheus.Items("command").Select(c => c.GetString()));
        Assert.Contains($"\"$$LLMMETER_Keys__Metrics\" > {ShippedConfig.MetricsKeyFile}", command, StringComparison.Ordinal);
        Assert.Contains("exec /bin/prometheus --config.file=/etc/llmmeter/prometheus.yml", command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckRules_ShippedRuleFiles_Pass()
    {
        var files = ShippedConfig.RuleFiles();

        var (exitCode, output) = await ToolProcess.RunAsync(Tools.Promtool, ["check", "rules", .. files]);

        Assert.True(exitCode == 0, $"promtool check rules exited {exitCode}:\n{output}");
        Assert.Equal(files.Count, output.Split('\n').Count(l => l.Contains("SUCCESS", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TestRules_ShippedUnitTests_Pass()
    {
        var tests = TestFiles();

        var (exitCode, output) = await ToolProcess.RunAsync(Tools.Promtool, ["test", "rules", .. tests], Repo.PathOf("prometheus", "tests"));

        Assert.True(exitCode == 0, $"promtool test rules exited {exitCode}:\n{output}");
        Assert.Equal(tests.Count, output.Split('\n').Count(l => l.Trim() == "SUCCESS"));
    }

    [Fact]
    public void UnitTests_EveryShippedAlert_IsTestedFiringAndNotFiring()
    {
        var cases = TestFiles()
            .SelectMany(file => Yaml.Load(file).Items("tests").SelectMany(t => t.Items("alert_rule_test")))
            .Select(t => (Alert: t.Text("alertname"), Fires: t.Items("exp_alerts").Any()))
            .ToList();
        var alerts = ShippedRules.Prometheus().Where(r => r.Alert is not null).Select(r => r.Alert!).ToList();
        Assert.NotEmpty(alerts);

        var untested = alerts
            .Where(a => !cases.Contains((a, true)) || !cases.Contains((a, false)))
            .Select(a => $"{a} (firing: {cases.Contains((a, true))}, not firing: {cases.Contains((a, false))})")
            .ToList();

        Assert.True(untested.Count == 0, "Alerts without a promtool test that expects them to fire and one that expects them not to:\n" + string.Join('\n', untested));
    }

    [Fact]
    public async Task AmtoolCheckConfig_ShippedAlertmanagerYmlAndItsTestCopy_Pass()
    {
        using var folder = new TempFolder();
        var token = folder.Write("token", "token-0123456789abcdef");
        var copy = folder.Write("alertmanager.yml", ShippedConfig.Alertmanager(new Uri("http://127.0.0.1:5080/"), token));

        foreach (var file in new[] { Repo.PathOf("alertmanager.yml"), copy })
        {
            var (exitCode, output) = await ToolProcess.RunAsync(Tools.Amtool, ["check-config", file]);
            Assert.True(exitCode == 0, $"amtool check-config {file} exited {exitCode}:\n{output}");
            Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AlertmanagerYml_RoutingAlerts_GoToTheCollectorWithTheBearerFileAndResolvedNotifications()
    {
        var config = Yaml.Load(Repo.PathOf("alertmanager.yml"));

        var route = Assert.Single(config.GetProperty("route").Items("routes"), r => r.Text("receiver") == "llmmeter-collector");
        Assert.Equal(["llmmeter_action=~\"downgrade|route_free|block\""], route.Items("matchers").Select(m => m.GetString()));
        Assert.Equal("true", route.Text("continue"));
        var receiver = Assert.Single(config.Items("receivers"), r => r.Text("name") == "llmmeter-collector");
        var webhook = Assert.Single(receiver.Items("webhook_configs"));
        Assert.Equal(ShippedConfig.CollectorWebhook, webhook.Text("url"));
        Assert.Equal("true", webhook.Text("send_resolved"));
        var authorization = webhook.GetProperty("http_config").GetProperty("authorization");
        Assert.Equal("Bearer", authorization.Text("type"));
        Assert.False(authorization.TryGetProperty("credentials", out _), "The token must come from credentials_file, never from the committed file.");
        Assert.Equal(JsonValueKind.String, authorization.GetProperty("credentials_file").ValueKind);
    }

    private static List<string> TestFiles()
    {
        var files = Directory.GetFiles(Repo.PathOf("prometheus", "tests"), "*.test.yml").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        return files;
    }
}
