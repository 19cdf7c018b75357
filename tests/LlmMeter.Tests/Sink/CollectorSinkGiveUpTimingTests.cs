using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Sink;

/// <summary>When a set-aside record is given up, on a fake clock: the stub and the counters are stamped with it.</summary>
public sealed class CollectorSinkGiveUpTimingTests : SinkTestKit
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    [Fact]
    public async Task SetAside_CollectorTakesOtherRecords_GivenUpOnceGiveUpRecordAfterPassed()
    {
        using var failed = Metric(Failed, _time);
        using var sent = Metric(Sent);
        FailRequestsWith("poison");
        var giveUpAfter = TimeSpan.FromMinutes(5);
        var maxRetryDelay = TimeSpan.FromSeconds(10);
        await using var sink = Sink(
            o =>
            {
                o.BatchSize = 4;
                o.MaxRetryDelay = maxRetryDelay;
                o.GiveUpRecordAfter = giveUpAfter;
            },
            _time);

        var poison = Call("poison");
        var ids = RecordCalls(sink, 1);
        sink.Record(poison);
        ids.AddRange(RecordCalls(sink, 2));
        var alone = () => Collector.Requests.Where(r => r.Records.Count == 1 && r.Ids.Contains(poison.Id)).ToList();
        await AdvanceUntilAsync(_time, TimeSpan.FromSeconds(1), () => alone().Count >= 3 && ids.All(Collector.Stored.ContainsKey));
        var setAsideAt = alone()[2].At;

        var step = TimeSpan.FromSeconds(5);
        await AdvanceUntilAsync(_time, step, () => failed.GetMeasurementSnapshot().Count > 0);

        var gaveUp = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal("http_500", gaveUp.Tags["error.type"]);
        Assert.InRange(gaveUp.Timestamp - setAsideAt, giveUpAfter, giveUpAfter + maxRetryDelay + step);
        Assert.Equal(3, Sum(sent));

        // Retried with backoff meanwhile (at most every MaxRetryDelay, not in a tight loop).
        var retries = alone().Skip(3).ToList();
        Assert.InRange(retries.Count, (int)(giveUpAfter / (maxRetryDelay + step)), (int)(giveUpAfter / (maxRetryDelay / 2)) + 2);
    }

    [Fact]
    public async Task SetAside_CollectorFailsEveryRecord_NothingGivenUpAndAllArriveOnceAfterRecovery()
    {
        using var failed = Metric(Failed);
        using var sent = Metric(Sent);
        var down = true;
        Collector.Answer(async (_, ctx) =>
        {
            if (!Volatile.Read(ref down))
            {
                return false;
            }

            ctx.Response.StatusCode = 500;
            await ctx.Response.WriteAsync("The store is broken.");
            return true;
        });
        var giveUpAfter = TimeSpan.FromMinutes(1);
        await using var sink = Sink(
            o =>
            {
                o.BatchSize = 2;
                o.MaxRetryDelay = TimeSpan.FromSeconds(10);
                o.GiveUpRecordAfter = giveUpAfter;
            },
            _time);

        var ids = RecordCalls(sink, 4);
        var start = _time.GetUtcNow();
        await AdvanceUntilAsync(_time, TimeSpan.FromSeconds(5), () => _time.GetUtcNow() - start > giveUpAfter * 10);

        // Ten times the give-up time of failing everything: an outage, so nothing was given up.
        Assert.Empty(failed.GetMeasurementSnapshot());
        Assert.Empty(Collector.Stored);
        var during = Collector.Requests.Count;
        Assert.InRange(during, 10, 200); // Paced by the backoff, not a tight loop.
        Volatile.Write(ref down, false);
        await AdvanceUntilAsync(_time, TimeSpan.FromSeconds(1), () => ids.All(Collector.Stored.ContainsKey));

        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        await WaitUntilAsync(() => Sum(sent) == 4, "All four should be counted as sent.");
        Assert.Empty(failed.GetMeasurementSnapshot());
    }
}
