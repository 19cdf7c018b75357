using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Ops.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests;

/// <summary>docker-compose.yml checked by the real docker-compose (Debian's 1.29) with a test env file.</summary>
public sealed partial class ComposeTests
{
    private static readonly string[] s_services = ["collector", "demo", "prometheus", "alertmanager", "grafana"];

    [Fact]
    public async Task ConfigQuiet_WithTestEnvFile_Passes()
    {
        using var folder = new TempFolder();

        var (exitCode, output) = await ComposeAsync(folder, "config", "-q");

        Assert.True(exitCode == 0 && output.Trim().Length == 0, $"docker-compose -f docker-compose.yml config -q exited {exitCode}:\n{output}");
    }

    [Fact]
    public async Task Config_Services_MountTheShippedFilesAndTakeEverySecretFromTheEnvFile()
    {
        using var folder = new TempFolder();
        var (exitCode, output) = await ComposeAsync(folder, "config");
        Assert.True(exitCode == 0, $"docker-compose config exited {exitCode}:\n{output}");
        var resolved = folder.Write("resolved.yml", output);
        var services = Yaml.Load(resolved).GetProperty("services");

        Assert.Equal(s_services.Order(StringComparer.Ordinal), services.EnumerateObject().Select(s => s.Name).Order(StringComparer.Ordinal));
        foreach (var service in services.EnumerateObject())
        {
            foreach (var volume in service.Value.Items("volumes").Select(v => v.GetString()!).Where(v => v.StartsWith('/')))
            {
                var source = volume.Split(':')[0];
                Assert.True(File.Exists(source) || Directory.Exists(source), $"Service {service.Name} mounts {source}, which is not in the repository.");
            }
        }

        // The env file's values reach the services that need them...
        var secrets = EnvExample();
        foreach (var (service, variable) in new[]
        {
            ("collector", "LLMMETER_Keys__Admin"),
            ("collector", "LLMMETER_Receivers__AlertmanagerToken"),
            ("collector", "LLMMETER_Receivers__GrafanaSecret"),
            ("alertmanager", "LLMMETER_Receivers__AlertmanagerToken"),
            ("grafana", "LLMMETER_Receivers__GrafanaSecret"),
            ("grafana", "GF_SECURITY_ADMIN_PASSWORD"),
            ("demo", "LLMMETER_Keys__Ingest"),
            ("prometheus", "LLMMETER_Keys__Metrics"),
        })
        {
            Assert.True(secrets.ContainsKey(variable), $"deploy/.env.example does not list {variable}.");
            Assert.Equal(TestValue(variable), services.GetProperty(service).GetProperty("environment").Text(variable));
        }

        // ...and none is written in the compose file itself.
        var composed = Yaml.Load(Repo.PathOf("docker-compose.yml")).GetProperty("services");
        foreach (var service in composed.EnumerateObject())
        {
            var written = service.Value.TryGetProperty("environment", out var environment) ? environment.EnumerateObject().Select(e => e.Name) : [];
            Assert.DoesNotContain(written, name => SecretName().IsMatch(name));
            if (service.Value.Text("env_file") is { Length: > 0 } envFile)
            {
                Assert.Equal("${LLMMETER_ENV_FILE:-deploy/.env}", envFile);
            }
        }
    }

    [Fact]
    public void EnvExample_EveryVariableTheConfigurationReads_IsListedWithoutARealValue()
    {
        var listed = EnvExample();
        var grafanaAlerting = Repo.Read("grafana", "provisioning", "alerting", "llmmeter.yml");
        var compose = Repo.Read("docker-compose.yml");

        foreach (Match used in EnvReference().Matches(grafanaAlerting + compose))
        {
            var name = used.Groups["name"].Value;
            if (name != "LLMMETER_ENV_FILE")
            {
                Assert.True(listed.ContainsKey(name), $"{name} is read by the configuration but not listed in deploy/.env.example.");
            }
        }

        Assert.All(listed, pair => Assert.True(
            pair.Value.Length == 0 || pair.Value == "admin" || pair.Value.StartsWith("replace-with-", StringComparison.Ordinal),
            $"deploy/.env.example gives {pair.Key} a value that looks real: {pair.Value}"));
        Assert.Contains(".env", Repo.Read(".gitignore").Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public async Task DemoBudget_FromTheComposeEnvironment_IsTheBudgetTheRoutingRulesActOn()
    {
        var environment = Yaml.Load(Repo.PathOf("docker-compose.yml")).GetProperty("services").GetProperty("collector").GetProperty("environment");
        string[] args = [.. environment.EnumerateObject()
            .Where(e => e.Name.StartsWith("LLMMETER_Budgets__", StringComparison.Ordinal))
            .Select(e => $"--{e.Name["LLMMETER_".Length..].Replace("__", ":", StringComparison.Ordinal)}={e.Value.GetString()}")];
        Assert.NotEmpty(args);
        var routing = ShippedRules.Prometheus().Where(r => r.Labels.ContainsKey("llmmeter_action")).ToList();
        Assert.NotEmpty(routing);

        await using var collector = await CollectorHost.StartAsync(args);
        using var client = collector.Client();
        var budgets = await client.GetFromJsonAsync<JsonElement>(new Uri("v1/budgets", UriKind.Relative));

        foreach (var rule in routing)
        {
            var id = BudgetMatcher().Match(rule.Expression).Groups["id"].Value;
            var budget = Assert.Single(budgets.Items("budgets"), b => b.Text("id") == id);
            Assert.Equal(budget.GetProperty("scope").Text("app"), rule.Labels["app"]);
        }
    }

    private static async Task<(int ExitCode, string Output)> ComposeAsync(TempFolder folder, params string[] command)
    {
        var envFile = folder.Write("test.env", string.Join('\n', EnvExample().Keys.Select(k => $"{k}={TestValue(k)}")) + "\n");
        return await ToolProcess.RunAsync(
            Tools.DockerCompose,
            ["--project-directory", Repo.Root, "-f", Repo.PathOf("docker-compose.yml"), .. command],
            Repo.Root,
            new Dictionary<string, string> { ["LLMMETER_ENV_FILE"] = envFile });
    }

    private static string TestValue(string variable) => "test-" + variable.ToLowerInvariant().Replace('_', '-') + "-0123456789";

    /// <summary>The variables deploy/.env.example lists, commented-out ones included, with their placeholder values.</summary>
    private static Dictionary<string, string> EnvExample() =>
        Repo.Read("deploy", ".env.example").Split('\n')
            .Select(l => l.Trim().TrimStart('#').Trim())
            .Select(l => EnvLine().Match(l))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);

    [GeneratedRegex(@"^(?<name>[A-Z][A-Za-z0-9_]*)=(?<value>\S*)$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvLine();

    [GeneratedRegex(@"\$\$?\{?(?<name>(?:LLMMETER|GF|OPENROUTER)_[A-Za-z0-9_]*)", RegexOptions.CultureInvariant)]
    private static partial Regex EnvReference();

    [GeneratedRegex("Keys__|Token|Secret|PASSWORD|API_KEY", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex("budget=\"(?<id>[^\"]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex BudgetMatcher();
}
