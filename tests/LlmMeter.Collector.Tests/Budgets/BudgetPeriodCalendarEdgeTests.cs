using System.Net;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LlmMeter.Collector.Tests.Api.Api;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary><see cref="BudgetPeriod.Containing"/> at the edges of the calendar, in every time zone of this machine: never throws, always contains the instant.</summary>
public sealed class BudgetPeriodCalendarEdgeTests
{
    private static readonly DateTimeOffset[] s_edges =
    [
        DateTimeOffset.MinValue,
        DateTimeOffset.MinValue.AddTicks(1),
        DateTimeOffset.MinValue.AddMilliseconds(1), // the earliest record the ingest accepts
        DateTimeOffset.MinValue.AddHours(13),
        DateTimeOffset.MinValue.AddDays(3),
        DateTimeOffset.MinValue.AddDays(40),
        DateTimeOffset.MaxValue.AddDays(-40),
        DateTimeOffset.MaxValue.AddDays(-3),
        DateTimeOffset.MaxValue.AddHours(-13),
        DateTimeOffset.MaxValue.AddMilliseconds(-1),
        DateTimeOffset.MaxValue,
    ];

    [Fact]
    public void Containing_CalendarEdgesInEverySystemZone_NeverThrowsAndContainsTheInstant()
    {
        var zones = TimeZoneInfo.GetSystemTimeZones();
        Assert.True(zones.Count > 100, $"Only {zones.Count} time zones on this machine.");
        var failures = new List<string>();
        var checkedCount = 0;

        foreach (var zone in zones.Append(TimeZoneInfo.Utc))
        {
            foreach (var kind in Enum.GetValues<BudgetPeriodKind>())
            {
                foreach (var instant in s_edges)
                {
                    checkedCount++;
                    try
                    {
                        var (start, end) = BudgetPeriod.Containing(instant, kind, zone);
                        var contains = start <= instant && (instant < end || end == DateTimeOffset.MaxValue);
                        if (!contains || start >= end || start.Offset != TimeSpan.Zero || end.Offset != TimeSpan.Zero)
                        {
                            failures.Add($"{zone.Id} {kind} {instant:O}: [{start:O}, {end:O})");
                        }
                    }
                    catch (Exception ex)
                    {
                        failures.Add($"{zone.Id} {kind} {instant:O}: {ex.GetType().Name} {ex.Message}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCount} periods failed:\n" + string.Join('\n', failures.Take(30)));
    }

    [Fact]
    public void Containing_YearOneInZoneAheadOfUtc_StartsAtTheCalendarStart()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Etc/GMT-14"); // UTC+14 in every year
        var instant = DateTimeOffset.MinValue.AddMilliseconds(1);

        var (start, end) = BudgetPeriod.Containing(instant, BudgetPeriodKind.Month, zone);

        // Local midnight of 0001-01-01 there is before 0001-01-01T00:00Z: the period is cut at the calendar's start,
        // and ends at local midnight of 0001-02-01 as usual.
        Assert.Equal(DateTimeOffset.MinValue, start);
        Assert.Equal(new DateTimeOffset(1, 1, 31, 10, 0, 0, TimeSpan.Zero), end);
    }

    [Theory]
    [InlineData("America/Anchorage")]
    [InlineData("Etc/GMT+12")]
    public void Containing_LastDayInZoneBehindUtc_EndsAtTheCalendarEnd(string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);

        var (start, end) = BudgetPeriod.Containing(DateTimeOffset.MaxValue.AddHours(-1), BudgetPeriodKind.Day, zone);

        Assert.Equal(DateTimeOffset.MaxValue, end);
        Assert.True(start < DateTimeOffset.MaxValue.AddHours(-1));
    }

    [Theory]
    [InlineData("Etc/GMT-14", "month")]
    [InlineData("Etc/GMT-14", "week")]
    [InlineData("Asia/Tokyo", "day")]
    [InlineData("Etc/GMT+12", "week")]
    public async Task Store_RecordInYearOneUnderBudgetInAnyZone_IsStoredAndBudgetReads(string zone, string period)
    {
        await using var host = await CollectorHost.StartAsync();
        using var admin = host.Client();
        using (var created = await admin.PostAsync("v1/budgets", Json($$"""{"id":"edge","name":"Edge","period":"{{period}}","timezone":"{{zone}}","limit_usd":10}""")))
        {
            await ReadJsonAsync(created, HttpStatusCode.Created);
        }

        // Ingest refuses a record from before 2000 (one rejected record, nothing else lost)...
        using var ingest = host.Client(CollectorHost.IngestKey);
        var (accepted, _) = await IngestAsync(ingest, [Records.Call(id: "gen-year-one", startedAt: DateTimeOffset.MinValue.AddMilliseconds(1))]);
        Assert.Equal(0, accepted);

        // ...but the store and the budget ledger must still cope with one (a store filled before that rule, or
        // another writer): 0001-01-01T00:00:00.001Z falls before the calendar's start in zones ahead of UTC.
        var store = host.Services.GetRequiredService<ICallStore>();
        var result = await store.InsertAsync([Records.Call(id: "gen-year-one", startedAt: DateTimeOffset.MinValue.AddMilliseconds(1))], CancellationToken.None);
        Assert.Single(result.Accepted);
        var stored = await GetJsonAsync(admin, "v1/calls/gen-year-one");
        Assert.StartsWith("0001-01-01T00:00:00.001", stored.GetProperty("started_at").GetString(), StringComparison.Ordinal);
        // The budget still reads (its current period is unaffected by a record from year 1).
        var budget = await GetJsonAsync(admin, "v1/budgets/edge");
        Assert.Equal(0m, budget.GetProperty("status").GetProperty("spent_usd").GetDecimal());
    }
}
