using System.Text.Json;

namespace LlmMeter.Collector.Tests.Policy;

/// <summary>One alert of a sample notification.</summary>
internal sealed record SampleAlert(string Fingerprint, IReadOnlyDictionary<string, string> Labels, bool Firing = true);

/// <summary>
/// Webhook bodies as Alertmanager 0.25 (<c>"version":"4"</c>) and Grafana unified alerting (<c>"version":"1"</c>)
/// send them (../shared/reference/observability.md), with every field they carry, not just the ones read.
/// </summary>
internal static class AlertSamples
{
    /// <summary>A budget burn alert from a Prometheus rule, asking to downgrade gpt-4o for the search team.</summary>
    public static SampleAlert SpendBurnDowngrade(bool firing = true, string fingerprint = "5f0c2a9e1b7d3c44") => new(
        fingerprint,
        new Dictionary<string, string>
        {
            ["alertname"] = "LlmSpendBurnRateHigh",
            ["app"] = "search-api",
            ["team"] = "search",
            ["model"] = "openai/gpt-4o",
            ["severity"] = "page",
            ["llmmeter_action"] = "downgrade",
            ["llmmeter_downgrade_to"] = "openai/gpt-4o-mini",
        },
        firing);

    /// <summary>An alert that has nothing to do with routing.</summary>
    public static SampleAlert DiskAlmostFull(bool firing = true) => new(
        "a1b2c3d4e5f60718",
        new Dictionary<string, string> { ["alertname"] = "CollectorDiskAlmostFull", ["instance"] = "collector:5080", ["severity"] = "warning" },
        firing);

    public static SampleAlert Labelled(string fingerprint, bool firing, params (string Name, string Value)[] labels) =>
        new(fingerprint, labels.ToDictionary(l => l.Name, l => l.Value), firing);

    /// <summary>An Alertmanager 0.25 webhook notification.</summary>
    public static string Alertmanager(params SampleAlert[] alerts)
    {
        var status = alerts.Any(a => a.Firing) ? "firing" : "resolved";
        var alertJson = string.Join(",\n    ", alerts.Select(a => $$"""
            {"status":"{{Status(a)}}","labels":{{Labels(a)}},
             "annotations":{"summary":"Spend is burning the monthly budget 14.4x too fast","runbook_url":"https://runbooks.example/llm-spend"},
             "startsAt":"2026-11-28T10:00:00.000Z","endsAt":"{{(a.Firing ? "0001-01-01T00:00:00Z" : "2026-11-28T10:30:00.000Z")}}",
             "generatorURL":"http://prometheus:9090/graph?g0.expr=llmmeter_budget_remaining_ratio+%3C+0.2&g0.tab=1",
             "fingerprint":"{{a.Fingerprint}}"}
            """));
        return $$"""
            {"receiver":"llmmeter-routing","status":"{{status}}",
             "alerts":[
                {{alertJson}}
             ],
             "groupLabels":{"alertname":"LlmSpendBurnRateHigh"},
             "commonLabels":{"severity":"page"},
             "commonAnnotations":{},
             "externalURL":"http://alertmanager:9093",
             "version":"4",
             "groupKey":"{}:{alertname=\"LlmSpendBurnRateHigh\"}",
             "truncatedAlerts":0}
            """;
    }

    /// <summary>A Grafana unified-alerting webhook notification (its extra top-level and per-alert fields included).</summary>
    public static string Grafana(params SampleAlert[] alerts)
    {
        var firing = alerts.Any(a => a.Firing);
        var alertJson = string.Join(",\n    ", alerts.Select(a => $$"""
            {"status":"{{Status(a)}}","labels":{{Labels(a)}},
             "annotations":{"summary":"Search spend over 80% of the budget"},
             "startsAt":"2026-11-28T10:00:00Z","endsAt":"{{(a.Firing ? "0001-01-01T00:00:00Z" : "2026-11-28T10:30:00Z")}}",
             "generatorURL":"http://grafana:3000/alerting/grafana/fe2a1b/view?orgId=1",
             "fingerprint":"{{a.Fingerprint}}",
             "silenceURL":"http://grafana:3000/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DSearchSpendHigh&orgId=1",
             "dashboardURL":"http://grafana:3000/d/llmmeter-spend?orgId=1",
             "panelURL":"http://grafana:3000/d/llmmeter-spend?orgId=1&viewPanel=4",
             "values":{"A":0.8412,"C":1},
             "valueString":"[ var='A' labels={team=search} value=0.8412 ], [ var='C' labels={team=search} value=1 ]",
             "imageURL":"","orgId":1}
            """));
        return $$"""
            {"receiver":"llmmeter-routing","status":"{{(firing ? "firing" : "resolved")}}","orgId":1,
             "alerts":[
                {{alertJson}}
             ],
             "groupLabels":{"alertname":"SearchSpendHigh","grafana_folder":"LLM"},
             "commonLabels":{"grafana_folder":"LLM"},
             "commonAnnotations":{},
             "externalURL":"http://grafana:3000/",
             "version":"1",
             "groupKey":"{}:{alertname=\"SearchSpendHigh\"}",
             "truncatedAlerts":0,
             "title":"[{{(firing ? "FIRING" : "RESOLVED")}}:{{alerts.Length}}] SearchSpendHigh LLM",
             "state":"{{(firing ? "alerting" : "ok")}}",
             "message":"**{{(firing ? "Firing" : "Resolved")}}**\n\nValue: A=0.8412, C=1\nLabels:\n - alertname = SearchSpendHigh\n"}
            """;
    }

    private static string Status(SampleAlert alert) => alert.Firing ? "firing" : "resolved";

    private static string Labels(SampleAlert alert) => JsonSerializer.Serialize(alert.Labels);
}
