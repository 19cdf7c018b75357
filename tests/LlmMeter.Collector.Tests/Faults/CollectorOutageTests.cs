using System.Diagnostics;
using System.Globalization;
using LlmMeter.Collector.Tests.EndToEnd;
using LlmMeter.Collector.Tests.Exporter;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Xunit.Abstractions;

namespace LlmMeter.Collector.Tests.Faults;

/// <summary>
/// Outage: an application meters calls through <see cref="LlmMeterHandler"/> and ships them with
/// <see cref="LlmMeterCollectorSink"/> to the collector as a child process, which is killed (SIGKILL) for a few seconds
/// and restarted on the same file and address while the calls go on.
/// </summary>
public sealed class CollectorOutageTests(ITestOutputHelper output)
{
    // The collector stays down this long, plus the time it takes to start again (seconds on a busy machine).
    private static readonly TimeSpan s_outage = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Record_CollectorKilledForSecondsWhileCallsGoOn_NoCallFailsEveryRecordArrivesOnce()
    {
        var run = await RunOutageAsync(bufferCapacity: 100_000, batchSize: 50);

        Assert.Empty(run.Failures);
        Assert.True(run.MadeWhileDown > 0, "no call was made while the collector was down");
        Assert.True(run.FailedAttempts > 0, "the sink never found the collector down");
        Assert.Equal(0, run.Dropped);
        Assert.Equal(0, run.Failed);
        Assert.Equal(run.Made.Count, run.Sent);
        Assert.Equal(run.Made.Order(StringComparer.Ordinal), run.Arrived.Order(StringComparer.Ordinal));
        Assert.Equal(run.Made.Count, run.SpendRequests);
    }

    [Fact]
    public async Task Record_OutageLongerThanTheBufferHolds_OverflowCountedDroppedAndArrivedPlusDroppedEqualsMade()
    {
        const int Capacity = 40;
        var run = await RunOutageAsync(bufferCapacity: Capacity, batchSize: 20);

        Assert.Empty(run.Failures);
        Assert.True(run.MadeWhileDown > Capacity * 2, $"only {run.MadeWhileDown} calls were made while the collector was down");
        Assert.True(run.Dropped > 0, "nothing was dropped although the outage outlasted the buffer");
        Assert.Equal(0, run.Failed);
        Assert.Equal(run.Arrived.Count, run.Sent);
        Assert.Equal(run.Made.Count, run.Arrived.Count + run.Dropped);
        var strangers = run.Arrived.Except(run.Made, StringComparer.Ordinal).ToList();
        Assert.True(strangers.Count == 0, $"Arrived but never made: {string.Join(", ", strangers.Take(5))}");
        Assert.Equal(run.Arrived.Count, run.SpendRequests);
    }

    private async Task<OutageRun> RunOutageAsync(int bufferCapacity, int batchSize)
    {
        await using var collector = new CollectorProcess();
        using var openRouter = new OpenRouterStub();
        using var counters = new ExporterCounters();
        using var transport = new TransportProbe();
        await collector.StartAsync();
        var options = ExporterKit.Options(collector.BaseAddress, batchSize);
        options.BufferCapacity = bufferCapacity;
        var from = TimeProvider.System.GetUtcNow().AddHours(-1);

        await using var sink = new LlmMeterCollectorSink(options, meterFactory: counters.MeterFactory, transport: transport);
        OutageRun run;
        await using (var traffic = new AppTraffic(openRouter.ApiRoot, sink, workers: 3, pause: TimeSpan.FromMilliseconds(10)))
        {
            await WaitFor.ConditionAsync(() => counters.Sent >= 100, "the first records to reach the collector", s_drainTimeout);
            await collector.KillAsync();
            var madeAtKill = traffic.Made;
            var down = Stopwatch.StartNew();
            await Task.Delay(s_outage); // The outage itself: calls go on meanwhile.
            await collector.StartAsync();
            var downFor = down.Elapsed;
            var madeAtRestart = traffic.Made;

            // Calls go on until the sink has caught up with what was made during the outage, then stop.
            await WaitFor.ConditionAsync(() => counters.Sent + counters.Dropped + counters.Failed >= madeAtRestart, "the sink to catch up after the restart", s_drainTimeout);
            await traffic.StopAsync();
            await WaitFor.ConditionAsync(
                () => counters.Sent + counters.Dropped + counters.Failed == traffic.Made,
                $"every record to be sent or dropped (made {traffic.Made}, sent {counters.Sent}, dropped {counters.Dropped}, failed {counters.Failed})",
                s_drainTimeout);

            using var read = collector.Client(CollectorHost.ReadKey);
            var to = TimeProvider.System.GetUtcNow().AddHours(1);
            var stored = await StoreAudit.StoredAsync(read, from, to);
            var spend = await Api.Api.GetJsonAsync(read, $"v1/spend?from={StoreAudit.Time(from)}&to={StoreAudit.Time(to)}");
            run = new OutageRun(
                traffic.Ids,
                [.. stored.Keys],
                traffic.Failures,
                madeAtRestart - madeAtKill,
                transport.Failures,
                counters.Sent,
                counters.Dropped,
                counters.Failed,
                spend.GetProperty("total").GetProperty("requests").GetInt64());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                buffer {bufferCapacity}, batch {batchSize}: collector down {downFor.TotalSeconds:0.0} s (killed, {s_outage.TotalSeconds:0} s, restart until ready);
                  calls made {run.Made.Count} ({run.MadeWhileDown} while down), failed for the app {run.Failures.Count};
                  exporter sent {run.Sent}, dropped {run.Dropped}, failed {run.Failed}; refused attempts {run.FailedAttempts};
                  resent records the collector already had (answer lost at the kill) {transport.Answers.Sum(a => a.Duplicates)};
                  arrived {run.Arrived.Count} distinct, spend requests {run.SpendRequests}
                """));
        }

        return run;
    }

    /// <summary>What an outage run made, what arrived, and the exporter's counters.</summary>
    private sealed record OutageRun(
        IReadOnlyList<string> Made,
        IReadOnlyList<string> Arrived,
        IReadOnlyList<string> Failures,
        int MadeWhileDown,
        int FailedAttempts,
        long Sent,
        long Dropped,
        long Failed,
        long SpendRequests);
}
