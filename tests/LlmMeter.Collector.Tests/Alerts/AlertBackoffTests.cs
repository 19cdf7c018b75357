using LlmMeter.Collector.Alerts;

namespace LlmMeter.Collector.Tests.Alerts;

/// <summary>The retry schedule of the delivery worker.</summary>
public sealed class AlertBackoffTests
{
    private static readonly AlertOptions s_defaults = new();

    [Fact]
    public void Backoff_NoJitter_DoublesFrom5SecondsUpTo30Minutes()
    {
        var waits = Enumerable.Range(1, 12).Select(n => AlertDeliveryWorker.Backoff(s_defaults, n, null, jitter: 0.5).TotalSeconds);

        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800, 1800], waits);
    }

    [Fact]
    public void Backoff_Jitter_StaysWithin20Percent()
    {
        Assert.Equal(TimeSpan.FromSeconds(8), AlertDeliveryWorker.Backoff(s_defaults, 2, null, jitter: 0));
        Assert.Equal(TimeSpan.FromSeconds(11.99), AlertDeliveryWorker.Backoff(s_defaults, 2, null, jitter: 0.9975));
        Assert.Equal(TimeSpan.FromMinutes(30), AlertDeliveryWorker.Backoff(s_defaults, 10, null, jitter: 0.9999));
    }

    [Fact]
    public void Backoff_RetryAfter_WinsWithAOneSecondFloor()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), AlertDeliveryWorker.Backoff(s_defaults, 1, TimeSpan.FromMinutes(2), jitter: 0.5));
        Assert.Equal(TimeSpan.FromSeconds(1), AlertDeliveryWorker.Backoff(s_defaults, 3, TimeSpan.Zero, jitter: 0.5));
    }
}
