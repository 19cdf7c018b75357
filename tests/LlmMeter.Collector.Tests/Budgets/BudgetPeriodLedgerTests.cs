using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using static LlmMeter.Collector.Tests.Budgets.BudgetCollector;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>Calendar periods in Europe/Berlin on a fake clock: the ledger follows local days and months across DST.</summary>
public sealed class BudgetPeriodLedgerTests
{
    [Fact]
    public async Task DayBudget_OnTheFallBackDay_CountsLateLocalRecordsInThatDayAndStartsTheNextAtZero()
    {
        // 2026-10-25 in Berlin lasts 25 hours (+02:00 until 03:00, then +01:00): 2026-10-24T22:00Z to 2026-10-25T23:00Z.
        await using var collector = await StartAsync(Utc(2026, 10, 25, 22, 45)); // 23:45 local
        await collector.DefineAsync(Definition("daily", limit: 10m, period: "day", timezone: "Europe/Berlin"));

        await collector.IngestAsync(
            Records.Call(startedAt: Utc(2026, 10, 25, 22, 30), cost: 1m), // 23:30 local, last half hour of the day
            Records.Call(startedAt: Utc(2026, 10, 24, 22, 10), cost: 0.25m), // 00:10 local, first minutes of the day
            Records.Call(startedAt: Utc(2026, 10, 24, 21, 50), cost: 4m)); // 23:50 local on the 24th: the day before

        var today = (await collector.BudgetAsync("daily")).GetProperty("status");
        Assert.Equal("2026-10-24T22:00:00.000Z", today.GetProperty("period_start").GetString());
        Assert.Equal("2026-10-25T23:00:00.000Z", today.GetProperty("period_end").GetString());
        Assert.Equal(1.25m, today.GetProperty("spent_usd").GetDecimal());
        Assert.Equal(40_000_000_000L, collector.LedgerUnits("daily", Utc(2026, 10, 23, 22)));

        collector.Advance(TimeSpan.FromMinutes(15)); // local midnight: the 26th begins
        var tomorrow = await WaitFor.ValueAsync(
            async () => (await collector.BudgetAsync("daily")).GetProperty("status"),
            s => s.GetProperty("period_start").GetString() == "2026-10-25T23:00:00.000Z",
            "the day budget to roll over without traffic");
        Assert.Equal(0m, tomorrow.GetProperty("spent_usd").GetDecimal());
        Assert.Equal("2026-10-26T23:00:00.000Z", tomorrow.GetProperty("period_end").GetString());

        await collector.IngestAsync(Records.Call(startedAt: Utc(2026, 10, 25, 23, 5), cost: 0.5m)); // 00:05 local on the 26th
        Assert.Equal(0.5m, await collector.SpentAsync("daily"));
        Assert.Equal(12_500_000_000L, collector.LedgerUnits("daily", Utc(2026, 10, 24, 22)));
    }

    [Fact]
    public async Task MonthBudget_LastLocalHourOfOctober_CountsInOctoberAndNovemberStartsAtZero()
    {
        // October in Berlin starts at +02:00 and ends at +01:00: 2026-09-30T22:00Z to 2026-10-31T23:00Z.
        await using var collector = await StartAsync(Utc(2026, 10, 31, 22, 45));
        await collector.DefineAsync(Definition("monthly", limit: 100m, timezone: "Europe/Berlin"));

        await collector.IngestAsync(
            Records.Call(startedAt: Utc(2026, 10, 31, 22, 30), cost: 3m), // 23:30 local on the 31st
            Records.Call(startedAt: Utc(2026, 9, 30, 22, 0), cost: 2m), // 00:00 local on 1 October
            Records.Call(startedAt: Utc(2026, 9, 30, 21, 59), cost: 7m)); // 23:59 local on 30 September

        var october = (await collector.BudgetAsync("monthly")).GetProperty("status");
        Assert.Equal("2026-09-30T22:00:00.000Z", october.GetProperty("period_start").GetString());
        Assert.Equal("2026-10-31T23:00:00.000Z", october.GetProperty("period_end").GetString());
        Assert.Equal(5m, october.GetProperty("spent_usd").GetDecimal());

        collector.Advance(TimeSpan.FromMinutes(15));
        var november = await WaitFor.ValueAsync(
            async () => (await collector.BudgetAsync("monthly")).GetProperty("status"),
            s => s.GetProperty("period_start").GetString() == "2026-10-31T23:00:00.000Z",
            "the month budget to roll over");
        Assert.Equal(0m, november.GetProperty("spent_usd").GetDecimal());
        Assert.Equal("2026-11-30T23:00:00.000Z", november.GetProperty("period_end").GetString());
        Assert.Equal(50_000_000_000L, collector.LedgerUnits("monthly", Utc(2026, 9, 30, 22)));
    }
}
