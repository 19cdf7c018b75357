namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or the timeout passes, then fails with the last observed state.</summary>
internal static class WaitFor
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null, Func<Task<string>>? diagnostics = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                var more = diagnostics is null ? string.Empty : "\n" + await diagnostics();
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}; last value: {value}{more}");
            }

            await Task.Delay(100);
        }
    }
}
