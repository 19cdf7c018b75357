using System.Text.Json;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>A Prometheus rule from prometheus/rules: an alert (<see cref="Alert"/>) or a recording rule (<see cref="Record"/>).</summary>
internal sealed record PrometheusRule(string File, string? Alert, string? Record, string Expression, IReadOnlyDictionary<string, string> Labels)
{
    public string Name => Alert ?? Record!;
}

/// <summary>A Grafana-managed alert rule from grafana/provisioning/alerting: its Prometheus queries and labels.</summary>
internal sealed record GrafanaRule(string Uid, string Title, IReadOnlyList<(string DatasourceUid, string Expression)> Queries, IReadOnlyDictionary<string, string> Labels);

/// <summary>The shipped rule files, parsed.</summary>
internal static class ShippedRules
{
    public static IReadOnlyList<PrometheusRule> Prometheus() =>
    [
        .. ShippedConfig.RuleFiles().SelectMany(file => Yaml.Load(file).Items("groups").SelectMany(g => g.Items("rules")).Select(rule => new PrometheusRule(
            Path.GetFileName(file),
            NullIfEmpty(rule.Text("alert")),
            NullIfEmpty(rule.Text("record")),
            rule.Text("expr"),
            Map(rule, "labels")))),
    ];

    public static IReadOnlyList<GrafanaRule> Grafana()
    {
        var files = Directory.GetFiles(Repo.PathOf("grafana", "provisioning", "alerting"), "*.yml");
        Assert.NotEmpty(files);
        return
        [
            .. files.SelectMany(file => Yaml.Load(file).Items("groups").SelectMany(g => g.Items("rules")).Select(rule => new GrafanaRule(
                rule.Text("uid"),
                rule.Text("title"),
                [.. rule.Items("data").Select(d => (d.Text("datasourceUid"), d.TryGetProperty("model", out var model) ? model.Text("expr") : string.Empty))],
                Map(rule, "labels")))),
        ];
    }

    /// <summary>The uid of the provisioned Prometheus data source.</summary>
    public static string DatasourceUid()
    {
        var datasources = Yaml.Load(Repo.PathOf("grafana", "provisioning", "datasources", "llmmeter.yml")).Items("datasources").ToList();
        var prometheus = Assert.Single(datasources, d => d.Text("type") == "prometheus");
        var uid = prometheus.Text("uid");
        Assert.False(string.IsNullOrEmpty(uid), "The provisioned Prometheus data source needs a fixed uid.");
        return uid;
    }

    private static Dictionary<string, string> Map(JsonElement element, string name) =>
        element.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object
            ? map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
