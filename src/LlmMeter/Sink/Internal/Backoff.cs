namespace LlmMeter.Sink.Internal;

/// <summary>The exporter's retry delays: exponential from one second, capped, with jitter.</summary>
internal static class Backoff
{
    /// <summary>The first delay (or the cap, when it is smaller).</summary>
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);

    /// <summary>The delay before retry number <paramref name="failures"/> (1 for the first), at most <paramref name="max"/>.</summary>
    public static TimeSpan Delay(int failures, TimeSpan max)
    {
        if (failures < 1)
        {
            return TimeSpan.Zero;
        }

        var first = First < max ? First : max;
        var ceiling = Math.Min(max.Ticks, first.Ticks * Math.Pow(2, Math.Min(failures - 1, 30)));

        // Half fixed, half random: senders that failed together do not come back together.
        return TimeSpan.FromTicks((long)(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2)));
    }
}
