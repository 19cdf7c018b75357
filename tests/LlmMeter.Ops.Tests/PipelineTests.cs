using LlmMeter.Ops.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests;

/// <summary>
/// The stack of docker-compose.yml as real processes (collector, Prometheus scraping and evaluating every second,
/// Alertmanager), with two budgets and two batches of traffic: every dashboard panel and every recording rule shows data.
/// </summary>
public sealed class PipelineTests(PipelineTests.Stack stack) : IClassFixture<PipelineTests.Stack>
{
    [Fact]
    public async Task ScrapeTarget_Collector_IsUp()
    {
        var targets = await stack.Ops.Prometheus.GetDataAsync("api/v1/targets?state=active");

        var collector = Assert.Single(targets.Items("activeTargets"), t => t.GetProperty("labels").Text("job") == "llmmeter-collector");
        Assert.Equal("up", collector.Text("health"));
        Assert.Equal(stack.Ops.Collector.BaseAddress.Authority, collector.GetProperty("labels").Text("instance"));
    }

    [Fact]
    public async Task DashboardPanels_EveryExpressionWithVariablesSubstituted_ReturnsSeries()
    {
        var expressions = Dashboards.All()
            .SelectMany(d => d.Expressions().Select(e => (e.Where, Query: Dashboards.Substitute(e.Expression, d.VariableNames()))))
            .ToList();
        Assert.True(expressions.Count >= 20, $"Only {expressions.Count} dashboard expressions found.");

        await AssertEachReturnsSeriesAsync(expressions);
    }

    [Fact]
    public async Task RecordingRules_EveryRecordedSeries_HasData()
    {
        var rules = await stack.Ops.Prometheus.GetDataAsync("api/v1/rules?type=record");
        var recorded = rules.Items("groups").SelectMany(g => g.Items("rules")).Select(r => r.Text("name")).ToList();

        Assert.Equal(
            ShippedRules.Prometheus().Where(r => r.Record is not null).Select(r => r.Record!).Order(StringComparer.Ordinal),
            recorded.Order(StringComparer.Ordinal));
        await AssertEachReturnsSeriesAsync([.. recorded.Select(name => ($"recording rule {name}", name))]);
    }

    [Fact]
    public async Task GrafanaAlertRules_EveryQuery_IsValidPromQlOnThisPrometheus()
    {
        foreach (var rule in ShippedRules.Grafana())
        {
            foreach (var (_, expression) in rule.Queries.Where(q => q.DatasourceUid != "__expr__"))
            {
                var (ok, body) = await stack.Ops.Prometheus.TryQueryAsync(expression);
                Assert.True(ok, $"Grafana rule {rule.Title}: Prometheus refused {expression}: {body}");
            }
        }
    }

    [Fact]
    public async Task Alerts_BudgetThresholdErrorsAndDemoRouting_FireWithTheirLabels()
    {
        var firing = await WaitFor.ValueAsync(
            async () => (await stack.Ops.Prometheus.GetDataAsync("api/v1/alerts")).Items("alerts")
                .Where(a => a.Text("state") == "firing")
                .Select(a => a.GetProperty("labels"))
                .ToList(),
            alerts => new[] { "LlmMeterBudgetThresholdReached", "LlmMeterErrorRateSpike", "LlmMeterDemoBudgetDowngrade" }
                .All(name => alerts.Any(a => a.Text("alertname") == name)),
            "the threshold, error-rate and demo routing alerts to fire",
            diagnostics: stack.Ops.DiagnosticsAsync);

        Assert.Equal("search-monthly", Assert.Single(firing, a => a.Text("alertname") == "LlmMeterBudgetThresholdReached").Text("budget"));
        Assert.Equal("search-api", Assert.Single(firing, a => a.Text("alertname") == "LlmMeterErrorRateSpike").Text("app"));
        var routing = Assert.Single(firing, a => a.Text("alertname") == "LlmMeterDemoBudgetDowngrade");
        Assert.Equal("downgrade", routing.Text("llmmeter_action"));
        Assert.Equal("demo-chat", routing.Text("app"));
        Assert.DoesNotContain(firing, a => a.Text("alertname") is "LlmMeterCollectorDown" or "LlmMeterCollectorAbsent" or "LlmMeterBudgetExhausted");
    }

    private async Task AssertEachReturnsSeriesAsync(IReadOnlyList<(string Where, string Query)> expressions)
    {
        // Rates need two scrapes after the second batch, recorded series an evaluation after that: poll them all.
        var empty = await WaitFor.ValueAsync(
            async () =>
            {
                var missing = new List<string>();
                foreach (var (where, query) in expressions)
                {
                    var (ok, body) = await stack.Ops.Prometheus.TryQueryAsync(query);
                    Assert.True(ok, $"{where}: Prometheus refused {query}: {body}");
                    if (body.GetProperty("data").GetProperty("result").GetArrayLength() == 0)
                    {
                        missing.Add($"{where}: {query}");
                    }
                }

                return missing;
            },
            missing => missing.Count == 0,
            "every expression to return at least one series",
            diagnostics: stack.Ops.DiagnosticsAsync);
        Assert.Empty(empty);
    }

    /// <summary>The running stack with budgets search-monthly and demo-daily and two scraped batches of traffic.</summary>
    public sealed class Stack : IAsyncLifetime
    {
        private OpsStack? _ops;

        internal OpsStack Ops => _ops ?? throw new InvalidOperationException("The stack is not started.");

        public async Task InitializeAsync()
        {
            _ops = await OpsStack.StartAsync();
            await Ops.CreateBudgetAsync(Budgets.SearchMonthly);
            await Ops.CreateBudgetAsync(Budgets.DemoDaily());

            // Two batches, each seen by Prometheus before the next, so rates are not 0.
            var batch = Traffic.Batch(TimeProvider.System.GetUtcNow());
            await Ops.IngestAsync(batch);
            await Ops.WaitForScrapeAsync(batch.Count);
            await Ops.IngestAsync(Traffic.Batch(TimeProvider.System.GetUtcNow()));
            await Ops.WaitForScrapeAsync(2 * batch.Count);
        }

        public async Task DisposeAsync()
        {
            if (_ops is not null)
            {
                await _ops.DisposeAsync();
            }
        }
    }
}
