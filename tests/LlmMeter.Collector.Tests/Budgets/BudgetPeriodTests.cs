using LlmMeter.Collector.Budgets;

namespace LlmMeter.Collector.Tests.Budgets;

public sealed class BudgetPeriodTests
{
    private static readonly TimeZoneInfo s_berlin = Zone("Europe/Berlin");

    [Fact]
    public void Containing_DayAcrossSpringForward_Lasts23Hours()
    {
        // 2026-03-29: Berlin goes from +01:00 to +02:00 at 02:00 local.
        var (start, end) = BudgetPeriod.Containing(new DateTimeOffset(2026, 3, 29, 12, 0, 0, TimeSpan.Zero), BudgetPeriodKind.Day, s_berlin);

        Assert.Equal(new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 22, 0, 0, TimeSpan.Zero), end);
        Assert.Equal(TimeSpan.FromHours(23), end - start);
    }

    [Fact]
    public void Containing_DayAcrossFallBack_Lasts25Hours()
    {
        // 2026-10-25: Berlin goes from +02:00 back to +01:00 at 03:00 local.
        var (start, end) = BudgetPeriod.Containing(new DateTimeOffset(2026, 10, 25, 1, 30, 0, TimeSpan.Zero), BudgetPeriodKind.Day, s_berlin);

        Assert.Equal(new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(TimeSpan.FromHours(25), end - start);
    }

    [Fact]
    public void Containing_WeekStartsMondayLocal()
    {
        // Sunday 2026-11-29 23:30 in Berlin is 22:30 UTC: still the week that began Monday 2026-11-23.
        var (start, end) = BudgetPeriod.Containing(new DateTimeOffset(2026, 11, 29, 22, 30, 0, TimeSpan.Zero), BudgetPeriodKind.Week, s_berlin);

        Assert.Equal(new DateTimeOffset(2026, 11, 22, 23, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 23, 0, 0, TimeSpan.Zero), end);
    }

    [Fact]
    public void Containing_MonthAcrossDst_StartsAndEndsAtLocalMidnight()
    {
        var (start, end) = BudgetPeriod.Containing(new DateTimeOffset(2026, 10, 15, 0, 0, 0, TimeSpan.Zero), BudgetPeriodKind.Month, s_berlin);

        Assert.Equal(new DateTimeOffset(2026, 9, 30, 22, 0, 0, TimeSpan.Zero), start); // 1 Oct 00:00 +02:00
        Assert.Equal(new DateTimeOffset(2026, 10, 31, 23, 0, 0, TimeSpan.Zero), end); // 1 Nov 00:00 +01:00
    }

    [Fact]
    public void Containing_InstantOnBoundary_BelongsToTheNewPeriod()
    {
        var boundary = new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero);

        var (start, _) = BudgetPeriod.Containing(boundary, BudgetPeriodKind.Day, s_berlin);
        var (_, previousEnd) = BudgetPeriod.Containing(boundary.AddTicks(-1), BudgetPeriodKind.Day, s_berlin);

        Assert.Equal(boundary, start);
        Assert.Equal(boundary, previousEnd);
    }

    [Fact]
    public void TryFindZone_UnknownId_False()
    {
        Assert.False(BudgetPeriod.TryFindZone("Mars/Olympus_Mons", out _));
        Assert.True(BudgetPeriod.TryFindZone(null, out var utc));
        Assert.Equal(TimeZoneInfo.Utc, utc);
    }

    private static TimeZoneInfo Zone(string id)
    {
        Assert.True(BudgetPeriod.TryFindZone(id, out var zone), $"Time zone {id} not found (is tzdata installed?).");
        return zone;
    }
}
