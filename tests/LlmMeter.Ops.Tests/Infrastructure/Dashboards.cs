using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>One provisioned dashboard file.</summary>
internal sealed record Dashboard(string File, JsonElement Root)
{
    public string Uid => Root.Text("uid");

    /// <summary>Every panel, rows included, with the panels nested in collapsed rows.</summary>
    public IEnumerable<JsonElement> Panels()
    {
        foreach (var panel in Root.Items("panels"))
        {
            yield return panel;
            foreach (var nested in panel.Items("panels"))
            {
                yield return nested;
            }
        }
    }

    public IEnumerable<JsonElement> Variables() => Root.TryGetProperty("templating", out var t) ? t.Items("list") : [];

    public IReadOnlySet<string> VariableNames() => Variables().Select(v => v.Text("name")).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every PromQL expression: panel targets, and the variables' <c>label_values(...)</c> queries.</summary>
    public IEnumerable<(string Where, string Expression)> Expressions()
    {
        foreach (var panel in Panels())
        {
            foreach (var target in panel.Items("targets"))
            {
                yield return ($"{Path.GetFileName(File)} panel {panel.GetProperty("id")} '{panel.Text("title")}' target {target.Text("refId")}", target.Text("expr"));
            }
        }

        foreach (var variable in Variables().Where(v => v.Text("type") == "query"))
        {
            var query = variable.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.Object ? q.Text("query") : variable.Text("query");
            yield return ($"{Path.GetFileName(File)} variable {variable.Text("name")}", query);
        }
    }
}

/// <summary>The shipped dashboards (grafana/dashboards/*.json) and what Grafana would send Prometheus for them.</summary>
internal static partial class Dashboards
{
    public static IReadOnlyList<Dashboard> All()
    {
        var files = Directory.GetFiles(Repo.PathOf("grafana", "dashboards"), "*.json").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 2, "Expected the Overview and Budgets dashboards in grafana/dashboards.");
        return [.. files.Select(Load)];
    }

    public static Dashboard Load(string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            return new Dashboard(file, document.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            Assert.Fail($"{file} is not valid JSON: {ex.Message}");
            throw;
        }
    }

    /// <summary>
    /// The expression as Prometheus would receive it from Grafana with every variable on "All" (<c>.*</c>), the
    /// rate interval at 1m, the range at 1h; a <c>label_values(selector, label)</c> query becomes its selector.
    /// </summary>
    public static string Substitute(string expression, IReadOnlySet<string> variables)
    {
        var text = expression
            .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
            .Replace("${__rate_interval}", "1m", StringComparison.Ordinal)
            .Replace("$__range", "1h", StringComparison.Ordinal)
            .Replace("${__range}", "1h", StringComparison.Ordinal)
            .Replace("$__interval", "15s", StringComparison.Ordinal);
        text = Variable().Replace(text, m => variables.Contains(m.Groups["name"].Value) ? ".*" : m.Value);
        var labelValues = LabelValues().Match(text);
        return labelValues.Success ? labelValues.Groups["selector"].Value.Trim() : text;
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)(?::[^}]*)?\}|\$(?<name>[A-Za-z0-9_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();

    [GeneratedRegex(@"^\s*label_values\((?<selector>.+),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex LabelValues();
}
