using LlmMeter.Collector.Reconciliation;

namespace LlmMeter.Collector.Tests.Reconciliation;

/// <summary>The retry arithmetic behind the reconciler, with the production defaults.</summary>
public sealed class BackoffTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Failed_RepeatedNotFound_DoublesFrom2SecondsUpTo5Minutes()
    {
        var schedule = new RetrySchedule(CostReconciler.FirstRetry(TimeSpan.FromSeconds(30)), TimeSpan.FromMinutes(5));

        var waits = Enumerable.Range(0, 10).Select(_ => schedule.Failed("gen-1", s_now, s_now.AddHours(1)).TotalSeconds).ToList();

        Assert.Equal([2, 4, 8, 16, 32, 64, 128, 256, 300, 300], waits);
    }

    [Fact]
    public void Failed_NearTheGiveUpTime_LastTryLandsOnIt()
    {
        var schedule = new RetrySchedule(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));
        var giveUpAt = s_now.AddSeconds(1);

        var wait = schedule.Failed("gen-1", s_now, giveUpAt);

        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        Assert.Equal(giveUpAt, schedule.NextDue);
    }

    [Fact]
    public void IsDue_BeforeAndAfterTheBackoff_OnlyAfter()
    {
        var schedule = new RetrySchedule(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));
        schedule.Failed("gen-1", s_now, s_now.AddHours(1));

        Assert.False(schedule.IsDue("gen-1", s_now.AddSeconds(1.9)));
        Assert.True(schedule.IsDue("gen-1", s_now.AddSeconds(2)));
        Assert.True(schedule.IsDue("gen-unknown", s_now));
    }

    [Fact]
    public void Prune_EntriesLongPastTheirGiveUpTime_AreDropped()
    {
        var schedule = new RetrySchedule(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));
        schedule.Failed("old", s_now, s_now.AddMinutes(1));
        schedule.Failed("young", s_now, s_now.AddHours(1));

        schedule.Prune(s_now.AddMinutes(10));

        Assert.Equal(1, schedule.Count);
        Assert.False(schedule.IsDue("young", s_now.AddSeconds(1)));
    }

    [Fact]
    public void FirstRetry_ShortInterval_FollowsTheInterval()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), CostReconciler.FirstRetry(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), CostReconciler.FirstRetry(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void JobBackoff_WithoutRetryAfter_DoublesFromOneIntervalUpTo10Minutes()
    {
        var interval = TimeSpan.FromSeconds(30);

        var waits = Enumerable.Range(1, 7).Select(f => CostReconciler.JobBackoff(interval, f, retryAfter: null).TotalSeconds);

        Assert.Equal([30, 60, 120, 240, 480, 600, 600], waits);
    }

    [Fact]
    public void JobBackoff_WithRetryAfter_HonoursItWithinBounds()
    {
        var interval = TimeSpan.FromSeconds(30);

        Assert.Equal(TimeSpan.FromSeconds(7), CostReconciler.JobBackoff(interval, 5, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromMinutes(10), CostReconciler.JobBackoff(interval, 1, TimeSpan.FromDays(1)));
        Assert.Equal(TimeSpan.FromSeconds(1), CostReconciler.JobBackoff(interval, 1, TimeSpan.Zero));
    }
}
