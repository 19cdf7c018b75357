using System.Text.Json;
using LlmMeter.Ops.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests;

/// <summary>The Grafana dashboards and alert rules checked against the provisioning and against a real collector's metrics.</summary>
public sealed class DashboardLintTests
{
    /// <summary>
    /// Counted by the library's exporter in the application's own process (<c>llmmeter.exporter.dropped</c>), so a
    /// collector never exposes it; the LlmMeterExporterDropping alert scrapes it from the applications.
    /// </summary>
    private const string ApplicationSideMetric = "llmmeter_exporter_dropped_total";

    private static readonly string[] s_routingActions = ["downgrade", "route_free", "block"];

    [Fact]
    public void Dashboards_UidsAndPanelIds_AreUnique()
    {
        var dashboards = Dashboards.All();

        Assert.Equal(dashboards.Count, dashboards.Select(d => d.Uid).Distinct(StringComparer.Ordinal).Count());
        Assert.All(dashboards, d => Assert.False(string.IsNullOrEmpty(d.Uid), $"{d.File} has no uid."));
        foreach (var dashboard in dashboards)
        {
            var ids = dashboard.Panels().Select(p => p.GetProperty("id").GetInt32()).ToList();
            Assert.True(ids.Count == ids.Distinct().Count(), $"{dashboard.File} repeats panel ids: {string.Join(',', ids)}");
        }
    }

    [Fact]
    public void Dashboards_EveryDatasource_IsTheProvisionedUidOrTheVariable()
    {
        var provisioned = ShippedRules.DatasourceUid();
        var problems = new List<string>();
        foreach (var dashboard in Dashboards.All())
        {
            var datasourceVariable = Assert.Single(dashboard.Variables(), v => v.Text("type") == "datasource");
            Assert.Equal("datasource", datasourceVariable.Text("name"));
            Assert.Equal("prometheus", datasourceVariable.Text("query"));

            var refs = dashboard.Panels().Where(p => p.Text("type") != "row").Select(p => ($"panel '{p.Text("title")}'", p))
                .Concat(dashboard.Panels().SelectMany(p => p.Items("targets").Select(t => ($"panel '{p.Text("title")}' target {t.Text("refId")}", t))))
                .Concat(dashboard.Variables().Where(v => v.Text("type") == "query").Select(v => ($"variable {v.Text("name")}", v)));
            foreach (var (where, element) in refs)
            {
                var uid = element.TryGetProperty("datasource", out var ds) && ds.ValueKind == JsonValueKind.Object ? ds.Text("uid") : null;
                if (uid is not ("${datasource}" or "$datasource") && uid != provisioned)
                {
                    problems.Add($"{Path.GetFileName(dashboard.File)} {where}: datasource uid '{uid}'");
                }
            }
        }

        Assert.True(problems.Count == 0, $"Datasources other than '{provisioned}' or ${{datasource}}:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Dashboards_EveryPanel_HasAUnit()
    {
        var missing = Dashboards.All()
            .SelectMany(d => d.Panels().Where(p => p.Text("type") != "row").Select(p => (d, p)))
            .Where(x => !x.p.TryGetProperty("fieldConfig", out var fc) || !fc.TryGetProperty("defaults", out var defaults) || defaults.Text("unit").Length == 0)
            .Select(x => $"{Path.GetFileName(x.d.File)}: '{x.p.Text("title")}'")
            .ToList();

        Assert.True(missing.Count == 0, "Panels without fieldConfig.defaults.unit:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Dashboards_Panels_DoNotOverlapAndFitTheGrid()
    {
        foreach (var dashboard in Dashboards.All())
        {
            var boxes = dashboard.Root.Items("panels").Select(p => (Title: p.Text("title"), Box: GridBox(p))).ToList();
            Assert.All(boxes, b => Assert.True(b.Box.X >= 0 && b.Box.W > 0 && b.Box.H > 0 && b.Box.X + b.Box.W <= 24, $"'{b.Title}' in {dashboard.File} is off the 24-column grid: {b.Box}"));
            for (var i = 0; i < boxes.Count; i++)
            {
                for (var j = i + 1; j < boxes.Count; j++)
                {
                    var (a, b) = (boxes[i].Box, boxes[j].Box);
                    var overlap = a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;
                    Assert.False(overlap, $"'{boxes[i].Title}' {a} and '{boxes[j].Title}' {b} overlap in {dashboard.File}.");
                }
            }
        }
    }

    [Fact]
    public void Dashboards_RatesAndIncreases_UseTheRateIntervalOrTheRange()
    {
        var problems = new List<string>();
        foreach (var dashboard in Dashboards.All())
        {
            foreach (var (where, expression) in dashboard.Expressions())
            {
                foreach (var (function, range) in PromQl.Ranges(expression))
                {
                    var allowed = function is "rate" or "irate" ? range == "$__rate_interval"
                        : function == "increase" ? range is "$__rate_interval" or "$__range"
                        : false;
                    if (!allowed)
                    {
                        problems.Add($"{where}: {function}(...[{range}])");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, "Range selectors in dashboards must be rate(...[$__rate_interval]) (increase may also use $__range):\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Dashboards_Variables_AreDatasourceAppTeamModelFromLabelValues()
    {
        foreach (var dashboard in Dashboards.All())
        {
            var names = dashboard.VariableNames();
            Assert.Superset(new HashSet<string>(["datasource", "app", "team", "model"], StringComparer.Ordinal), names.ToHashSet(StringComparer.Ordinal));
            foreach (var variable in dashboard.Variables().Where(v => v.Text("type") == "query"))
            {
                Assert.StartsWith("label_values(", variable.Text("query"), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void RoutingAlerts_Labels_AreTheOnesTheCollectorActsOn()
    {
        var routing = ShippedRules.Prometheus().Where(r => r.Labels.ContainsKey("llmmeter_action")).Select(r => (r.Name, r.Labels))
            .Concat(ShippedRules.Grafana().Where(r => r.Labels.ContainsKey("llmmeter_action")).Select(r => (Name: r.Title, r.Labels)))
            .ToList();
        Assert.Contains(routing, r => r.Labels["llmmeter_action"] == "downgrade");

        foreach (var (name, labels) in routing)
        {
            var action = labels["llmmeter_action"];
            Assert.True(s_routingActions.Contains(action), $"{name}: llmmeter_action '{action}' is not one of {string.Join(", ", s_routingActions)}.");
            Assert.True(labels.Keys.Intersect(["app", "team", "model"]).Any(), $"{name} routes every call: give it an app, team or model label.");
            if (action == "downgrade")
            {
                Assert.True(labels.TryGetValue("llmmeter_downgrade_to", out var to) && to.Length > 0, $"{name} downgrades without llmmeter_downgrade_to.");
            }

            if (action == "route_free")
            {
                Assert.True(labels.TryGetValue("llmmeter_free_model", out var free) && free.EndsWith(":free", StringComparison.Ordinal), $"{name} routes to a free model without llmmeter_free_model (a ':free' model).");
            }
        }
    }

    [Fact]
    public void GrafanaAlertRules_Queries_UseTheProvisionedDatasource()
    {
        var provisioned = ShippedRules.DatasourceUid();
        var rules = ShippedRules.Grafana();

        Assert.Equal(rules.Count, rules.Select(r => r.Uid).Distinct(StringComparer.Ordinal).Count());
        foreach (var rule in rules)
        {
            Assert.Contains(rule.Queries, q => q.DatasourceUid == provisioned && q.Expression.Length > 0);
            Assert.All(rule.Queries, q => Assert.True(q.DatasourceUid is "__expr__" || q.DatasourceUid == provisioned, $"{rule.Title} queries datasource '{q.DatasourceUid}'."));
        }
    }

    [Fact]
    public async Task MetricNames_InDashboardsRulesAndGrafanaAlerts_AreExposedByARealCollector()
    {
        var recorded = ShippedRules.Prometheus().Where(r => r.Record is not null).Select(r => r.Record!).ToHashSet(StringComparer.Ordinal);
        var uses = Dashboards.All().SelectMany(d => d.Expressions())
            .Concat(ShippedRules.Prometheus().Select(r => ($"{r.File} {r.Name}", r.Expression)))
            .Concat(ShippedRules.Grafana().SelectMany(r => r.Queries.Where(q => q.DatasourceUid != "__expr__").Select(q => ($"grafana alert {r.Title}", q.Expression))))
            .SelectMany(u => PromQl.SeriesNames(u.Item2).Select(name => (Where: u.Item1, Name: name)))
            .ToList();
        Assert.Contains(uses, u => u.Name == "llmmeter_budget_spent_usd");

        var exposed = await ExposedMetrics.CollectAsync();

        var unknown = uses
            .Where(u => u.Name.Contains(':', StringComparison.Ordinal) ? !recorded.Contains(u.Name) : !exposed.Contains(PromQl.Family(u.Name)) && u.Name != ApplicationSideMetric)
            .Select(u => $"{u.Where}: {u.Name}")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.True(
            unknown.Count == 0,
            "Metric names that the collector does not expose (or recorded series no rule defines):\n" + string.Join('\n', unknown)
            + "\n--- exposed: " + string.Join(", ", exposed.Order(StringComparer.Ordinal)));
    }

    private static (int X, int Y, int W, int H) GridBox(JsonElement panel)
    {
        var grid = panel.GetProperty("gridPos");
        return (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
    }
}
