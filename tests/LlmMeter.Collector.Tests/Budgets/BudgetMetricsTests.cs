using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using static LlmMeter.Collector.Tests.Budgets.BudgetCollector;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>The budget gauges as a real collector exposes them at /metrics.</summary>
public sealed class BudgetMetricsTests
{
    private const string Limit = "llmmeter_budget_limit_usd";
    private const string Spent = "llmmeter_budget_spent_usd";
    private const string Remaining = "llmmeter_budget_remaining_ratio";
    private const string PeriodEnd = "llmmeter_budget_period_end_timestamp_seconds";
    private const string Forecast = "llmmeter_budget_forecast_exhaustion_timestamp_seconds";
    private const string RoutingActive = "llmmeter_routing_rule_active";

    private static readonly DateTimeOffset s_now = Utc(2026, 11, 10, 12);

    [Fact]
    public async Task Scrape_WithBudgets_ExposesEveryGaugeWithItsValuesAndPassesPromtool()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition(
            "search",
            limit: 10m,
            scope: """{"app":"search-api"}""",
            timezone: "Europe/Berlin",
            thresholds: """[{"percent":50,"action":"downgrade","model_map":{"*":"openai/gpt-4o-mini"}},{"percent":100,"action":"block"}]"""));
        await collector.DefineAsync(Definition("batch", limit: 4m, scope: """{"app":"batch"}""", period: "day"));
        await collector.IngestAsync(
            Records.Call(startedAt: s_now.AddMinutes(-30), cost: 6m), // search: 60 %, $6 in the last hour
            Records.Call(startedAt: Utc(2026, 11, 10, 1), app: "batch", cost: 1m)); // batch: 25 %, nothing recent

        var scrape = await PrometheusText.ScrapeAsync(collector.Host);

        (string, string) search = ("budget", "search"), batch = ("budget", "batch");
        Assert.Equal(10, scrape.Value(Limit, search));
        Assert.Equal(4, scrape.Value(Limit, batch));
        Assert.Equal(6, scrape.Value(Spent, search), 9);
        Assert.Equal(1, scrape.Value(Spent, batch), 9);
        Assert.Equal(0.4, scrape.Value(Remaining, search), 9);
        Assert.Equal(0.75, scrape.Value(Remaining, batch), 9);
        Assert.Equal(Utc(2026, 11, 30, 23).ToUnixTimeSeconds(), scrape.Value(PeriodEnd, search)); // 1 Dec 00:00 in Berlin
        Assert.Equal(Utc(2026, 11, 11).ToUnixTimeSeconds(), scrape.Value(PeriodEnd, batch));
        // $4 left at $6 an hour: 40 minutes.
        Assert.Equal(s_now.AddMinutes(40).ToUnixTimeSeconds(), scrape.Value(Forecast, search));
        Assert.Null(scrape.ValueOrNull(Forecast, batch));
        Assert.Equal(1, scrape.Value(RoutingActive, search, ("action", "downgrade")));
        Assert.Equal(0, scrape.Value(RoutingActive, search, ("action", "block")));
        Assert.DoesNotContain(scrape.Named(RoutingActive), s => s.Has(batch));
        foreach (var name in new[] { Limit, Spent, Remaining, PeriodEnd, Forecast, RoutingActive })
        {
            Assert.Contains($"# TYPE {name} gauge", scrape.Text, StringComparison.Ordinal);
        }

        Assert.All(scrape.Named(Spent), s => Assert.Equal(["budget"], s.Labels.Keys));
        Assert.All(scrape.Named(RoutingActive), s => Assert.Equal(["action", "budget"], s.Labels.Keys.Order(StringComparer.Ordinal)));
        var (exitCode, output) = await Promtool.CheckMetricsAsync(scrape.Text);
        Assert.True(exitCode == 0 && output.Length == 0, $"promtool check metrics exited {exitCode} with:\n{output}\n--- scraped text ---\n{scrape.Text}");
    }

    [Fact]
    public async Task Scrape_AfterSpendChanges_SeesTheNewValues()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("all", limit: 2m, thresholds: """[{"percent":100,"action":"block"}]"""));

        await collector.IngestAsync(Records.Call(startedAt: Utc(2026, 11, 3), cost: 2.5m));

        var scrape = await PrometheusText.ScrapeAsync(collector.Host);
        Assert.Equal(2.5, scrape.Value(Spent, ("budget", "all")), 9);
        Assert.Equal(0, scrape.Value(Remaining, ("budget", "all")));
        Assert.Equal(1, scrape.Value(RoutingActive, ("budget", "all"), ("action", "block")));
    }
}
