using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// Test copies of the shipped configuration with only addresses, paths and intervals rewritten. Each rewrite
/// asserts that the text it replaces is in the shipped file, so a changed file fails here, not in a puzzling way.
/// </summary>
internal static partial class ShippedConfig
{
    public const string CollectorTarget = "\"collector:5080\"";
    public const string DemoTarget = "\"demo:5080\"";
    public const string AlertmanagerTarget = "\"alertmanager:9093\"";
    public const string RulesGlob = "prometheus/rules/*.yml";
    public const string CollectorWebhook = "http://collector:5080/v1/alerts/alertmanager";
    public const string CredentialsFile = "credentials_file: /tmp/llmmeter/alertmanager-token";
    public const string MetricsKeyFile = "/tmp/llmmeter/metrics-key";

    /// <summary>
    /// prometheus.yml scraping and evaluating every second, with the given targets, rules folder and scrape key file.
    /// The demo service's target becomes a loopback port nobody listens on (no demo runs in the tests).
    /// </summary>
    public static string Prometheus(string collectorTarget, string alertmanagerTarget, string rulesFolder, string metricsKeyFile)
    {
        var text = Repo.Read("prometheus.yml");
        text = Replace(text, "credentials_file: " + MetricsKeyFile, "credentials_file: " + metricsKeyFile);
        text = Replace(text, "scrape_interval: 15s", "scrape_interval: 1s");
        text = Replace(text, "evaluation_interval: 15s", "evaluation_interval: 1s");
        text = Replace(text, CollectorTarget, $"\"{collectorTarget}\"");
        text = Replace(text, AlertmanagerTarget, $"\"{alertmanagerTarget}\"");
        text = Replace(text, DemoTarget, string.Create(CultureInfo.InvariantCulture, $"\"127.0.0.1:{FreePort.Next()}\""));
        return Replace(text, RulesGlob, Path.Combine(rulesFolder, "*.yml"));
    }

    /// <summary>Copies every rule file to <paramref name="folder"/> with each <c>for:</c> set to 0s (alerts fire at the first evaluation).</summary>
    public static IReadOnlyList<string> Rules(string folder)
    {
        Directory.CreateDirectory(folder);
        var copies = new List<string>();
        foreach (var file in RuleFiles())
        {
            var copy = Path.Combine(folder, Path.GetFileName(file));
            File.WriteAllText(copy, ForDuration().Replace(File.ReadAllText(file), "${indent}for: 0s"));
            copies.Add(copy);
        }

        return copies;
    }

    public static IReadOnlyList<string> RuleFiles()
    {
        var files = Directory.GetFiles(Repo.PathOf("prometheus", "rules"), "*.yml").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count > 0, "No rule files in prometheus/rules.");
        return files;
    }

    /// <summary>alertmanager.yml sending to <paramref name="collector"/> with the token in <paramref name="credentialsFile"/>, grouping for 1 s.</summary>
    public static string Alertmanager(Uri collector, string credentialsFile)
    {
        var text = Repo.Read("alertmanager.yml");
        text = Replace(text, CollectorWebhook, new Uri(collector, "v1/alerts/alertmanager").AbsoluteUri);
        text = Replace(text, CredentialsFile, $"credentials_file: {credentialsFile}");
        Assert.Matches(GroupTiming(), text);
        return GroupTiming().Replace(text, "${indent}${name}: 1s");
    }

    private static string Replace(string text, string shipped, string test)
    {
        Assert.True(text.Contains(shipped, StringComparison.Ordinal), $"The shipped file no longer contains '{shipped}', which the tests rewrite; update ShippedConfig.");
        return text.Replace(shipped, test, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^(?<indent>[ \t]*)for: *\S+[ \t]*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ForDuration();

    [GeneratedRegex(@"^(?<indent>[ \t]*)(?<name>group_wait|group_interval): *\S+[ \t]*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex GroupTiming();
}
