using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using LlmMeter.Policy;
using static LlmMeter.Collector.Tests.Budgets.BudgetCollector;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>Alert events enqueued into the outbox: each threshold once per period, exhaustion, routing changes, forecasts.</summary>
public sealed class BudgetEventTests
{
    private const string Thresholds = """
        [{"percent":50,"action":"alert"},{"percent":80,"action":"downgrade","model_map":{"*":"openai/gpt-4o-mini"}},{"percent":100,"action":"block"}]
        """;

    private static readonly DateTimeOffset s_now = Utc(2026, 11, 10, 12);
    private static readonly long s_novemberMs = Utc(2026, 11, 1).ToUnixTimeMilliseconds();

    [Fact]
    public async Task Ingest_Crossing50And80And100_EnqueuesEachThresholdExhaustionAndRoutingChangeOnce()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("b", limit: 10m, thresholds: Thresholds));
        var key = $"b|{s_novemberMs}|";
        // Early in the month, so no recent spend and no forecast event.
        LlmCallRecord Spend(decimal cost) => Records.Call(startedAt: Utc(2026, 11, 2, 9), cost: cost);

        await collector.IngestAsync(Spend(4m));
        await collector.IngestAsync(Spend(1.5m));
        await collector.Outbox.WaitForKeyAsync(key + "threshold|50");
        await collector.IngestAsync(Spend(3m));
        await collector.Outbox.WaitForKeyAsync(key + "routing|downgrade");
        await collector.IngestAsync(Spend(2m), Spend(1m));
        await collector.Outbox.WaitForKeyAsync(key + "routing|block");
        await collector.IngestAsync(Spend(5m));
        collector.Advance(TimeSpan.FromSeconds(30)); // timer evaluations

        // A second budget's event marks an evaluation after all of the above.
        await collector.DefineAsync(Definition("barrier", limit: 1m, thresholds: """[{"percent":50,"action":"alert"}]"""));
        await collector.Outbox.WaitForKeyAsync($"barrier|{s_novemberMs}|threshold|50");

        var events = collector.Outbox.Calls.Where(e => e.Status.Budget.Id == "b").ToList();
        Assert.Equal(
            [key + "threshold|50", key + "threshold|80", key + "routing|downgrade", key + "threshold|100", key + "exhausted", key + "routing|block"],
            events.Select(e => e.DedupeKey));
        Assert.Equal([50d, 80d, 100d], events.Where(e => e.Type == BudgetEventTypes.ThresholdCrossed).Select(e => e.Threshold!.Value));
        var exhausted = Assert.Single(events, e => e.Type == BudgetEventTypes.BudgetExhausted);
        Assert.Equal(100d, exhausted.Threshold);
        Assert.True(exhausted.Status.SpentUsd >= 10m);
        Assert.Equal(
            [RoutingAction.Downgrade, RoutingAction.Block],
            events.Where(e => e.Type == BudgetEventTypes.RoutingChanged).Select(e => e.RoutingAction!.Value));
        Assert.All(events, e => Assert.Equal(Utc(2026, 11, 1), e.Status.PeriodStart));
        Assert.DoesNotContain(events, e => e.Type == BudgetEventTypes.ForecastExhaustion);
    }

    [Fact]
    public async Task PeriodRollover_AfterBlock_AnnouncesTheReturnToAlertUnderTheNewPeriod()
    {
        await using var collector = await StartAsync(Utc(2026, 11, 30, 23, 50));
        await collector.DefineAsync(Definition("b", limit: 1m, thresholds: Thresholds));
        await collector.IngestAsync(Records.Call(startedAt: Utc(2026, 11, 2), cost: 1m));
        await collector.Outbox.WaitForKeyAsync($"b|{s_novemberMs}|routing|block");

        collector.Advance(TimeSpan.FromMinutes(10));

        var december = Utc(2026, 12, 1).ToUnixTimeMilliseconds();
        await collector.Outbox.WaitForKeyAsync($"b|{december}|routing|alert");
        Assert.DoesNotContain(collector.Outbox.Keys, k => k.StartsWith($"b|{december}|threshold", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_AfterEvents_EnqueuesTheSameKeysWhichTheOutboxDrops()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("b", limit: 1m, thresholds: """[{"percent":50,"action":"alert"}]"""));
        await collector.IngestAsync(Records.Call(startedAt: Utc(2026, 11, 2), cost: 0.6m));
        var key = $"b|{s_novemberMs}|threshold|50";
        await collector.Outbox.WaitForKeyAsync(key);

        await collector.RestartAsync();

        await WaitFor.ConditionAsync(() => collector.Outbox.Calls.Count(e => e.DedupeKey == key) == 2, "the restarted collector to enqueue the event again");
        Assert.Single(collector.Outbox.Keys, k => k == key);
    }

    [Fact]
    public async Task Forecast_RecentSpendRunsOutBeforePeriodEnd_ProjectsAndEnqueuesOnce()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("b", limit: 10m));

        // $2 in the last hour and nothing before: $8 left at $2 an hour runs out 4 hours from now.
        await collector.IngestAsync(
            Records.Call(startedAt: s_now.AddMinutes(-50), cost: 0.5m),
            Records.Call(startedAt: s_now.AddMinutes(-30), cost: 0.5m),
            Records.Call(startedAt: s_now.AddMinutes(-5), cost: 1m));

        var status = (await collector.BudgetAsync("b")).GetProperty("status");
        Assert.Equal("2026-11-10T16:00:00.000Z", status.GetProperty("forecast_exhaustion").GetString());
        await collector.Outbox.WaitForKeyAsync($"b|{s_novemberMs}|forecast");
        var forecast = Assert.Single(collector.Outbox.Calls, e => e.Type == BudgetEventTypes.ForecastExhaustion);
        Assert.Equal(Utc(2026, 11, 10, 16), forecast.Status.ForecastExhaustion);

        // Another burst moves the forecast, but the event stays once per period.
        await collector.IngestAsync(Records.Call(startedAt: s_now.AddMinutes(-1), cost: 2m));
        Assert.Equal("2026-11-10T13:30:00.000Z", (await collector.BudgetAsync("b")).GetProperty("status").GetProperty("forecast_exhaustion").GetString());
        await collector.DefineAsync(Definition("barrier", limit: 1m, thresholds: """[{"percent":50,"action":"alert"}]"""));
        await collector.Outbox.WaitForKeyAsync($"barrier|{s_novemberMs}|threshold|50");
        Assert.Single(collector.Outbox.Calls, e => e.Type == BudgetEventTypes.ForecastExhaustion && e.Status.Budget.Id == "b");

        // Two idle hours: no recent spend, no forecast.
        collector.Advance(TimeSpan.FromHours(2));
        await WaitFor.ValueAsync(
            async () => (await collector.BudgetAsync("b")).GetProperty("status"),
            s => !s.TryGetProperty("forecast_exhaustion", out _),
            "the forecast to disappear");
    }

    [Fact]
    public async Task Forecast_RateTooSlowForThePeriod_IsNull()
    {
        await using var collector = await StartAsync(Utc(2026, 11, 30, 22));
        await collector.DefineAsync(Definition("b", limit: 10m));

        // $1 an hour with $9 left and two hours to go.
        await collector.IngestAsync(Records.Call(startedAt: Utc(2026, 11, 30, 21, 30), cost: 1m));

        var status = (await collector.BudgetAsync("b")).GetProperty("status");
        Assert.Equal(1m, status.GetProperty("spent_usd").GetDecimal());
        Assert.False(status.TryGetProperty("forecast_exhaustion", out _));
    }
}
