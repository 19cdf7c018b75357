using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Tests.Sink;

/// <summary>A record the collector keeps failing on is isolated and given up; an outage holds everything and loses nothing.</summary>
public sealed class CollectorSinkIsolationTests : SinkTestKit
{
    [Fact]
    public async Task Send_500ForEveryBatchHoldingOnePoisonRecord_AllOthersArriveInOrderAndThePoisonIsGivenUpAfterItsTime()
    {
        using var sent = Metric(Sent);
        using var failed = Metric(Failed);
        using var rejected = Metric(Rejected);
        using var dropped = Metric(Dropped);
        FailRequestsWith("poison");
        var giveUpAfter = TimeSpan.FromSeconds(1);
        var sink = Sink(o =>
        {
            o.BatchSize = 100;
            o.FlushInterval = TimeSpan.FromMilliseconds(100);
            o.GiveUpRecordAfter = giveUpAfter;
        });

        var poison = Call("poison");
        sink.Record(poison);
        var ids = RecordCalls(sink, 2_000);
        await Collector.WaitForStoredAsync(ids, TimeSpan.FromSeconds(30));
        await failed.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(30));
        await sink.DisposeAsync();

        // Every other record arrived once and in the order recorded; the poison never did.
        var clean = Collector.Requests.Where(r => !r.Ids.Contains(poison.Id)).ToList();
        Assert.Equal(ids, clean.SelectMany(r => r.Ids));
        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.DoesNotContain(poison.Id, Collector.Stored.Keys);

        // Given up once, with its reason, no sooner than the configured time after it first failed.
        var gaveUp = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal(1, gaveUp.Value);
        Assert.Equal("http_500", gaveUp.Tags["error.type"]);
        var firstFailure = Collector.Requests.First(r => r.Ids.Contains(poison.Id)).At;
        Assert.True(gaveUp.Timestamp - firstFailure >= giveUpAfter, $"Given up {gaveUp.Timestamp - firstFailure} after its first failure.");

        // Each record counted once: arrived + rejected + failed + dropped == recorded.
        Assert.Equal(2_000, Sum(sent));
        Assert.Equal(2_001, Sum(sent) + Sum(rejected) + Sum(failed) + Sum(dropped));
        var logs = Logger.Collector.GetSnapshot();
        Assert.Contains(logs, l => l.Level == LogLevel.Warning && l.Message.Contains("splitting it", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Level == LogLevel.Warning && l.Message.Contains("set aside", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Level == LogLevel.Error && l.Message.Contains("http_500", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Message.Contains(poison.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_503ForEveryBatchThenRecovery_RetriesWholeBatchesAndGivesNothingUp()
    {
        using var sent = Metric(Sent);
        using var failed = Metric(Failed);
        var outage = Stopwatch.StartNew();
        var outageLasts = TimeSpan.FromSeconds(1);
        Collector.Answer(async (_, ctx) =>
        {
            if (outage.Elapsed > outageLasts)
            {
                return false;
            }

            await Results.Problem(statusCode: 503, title: "Down for maintenance").ExecuteAsync(ctx);
            return true;
        });
        var sink = Sink(o =>
        {
            o.BatchSize = 10;
            o.GiveUpRecordAfter = TimeSpan.FromMilliseconds(100);
        });

        var ids = RecordCalls(sink, 30);
        await Collector.WaitForStoredAsync(ids);
        await sink.DisposeAsync();

        // An outage is not a poison record: the first batch was retried whole, and nothing was split or given up.
        var during = Collector.Requests.Where(r => r.Index < Collector.Requests.Count - 3).ToList();
        Assert.True(during.Count >= 2, $"Only {during.Count} requests during the outage.");
        Assert.All(during, r => Assert.Equal(ids.Take(10), r.Ids));
        Assert.Equal(ids, Collector.Requests.TakeLast(3).SelectMany(r => r.Ids));
        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(30, Sum(sent));
        Assert.Empty(failed.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Send_ConnectionRefusedThenAListenerAppears_EverythingArrivesOnceAndNothingIsGivenUp()
    {
        using var sent = Metric(Sent);
        using var failed = Metric(Failed);
        var port = FreePort();
        var sink = Sink(o =>
        {
            o.Collector = new Uri($"http://127.0.0.1:{port}/");
            o.BatchSize = 5;
            o.FlushInterval = TimeSpan.FromMilliseconds(100);
            o.GiveUpRecordAfter = TimeSpan.FromMilliseconds(100);
        });

        var ids = RecordCalls(sink, 12);
        var refused = Stopwatch.StartNew();
        await WaitUntilAsync(
            () => Logger.Collector.GetSnapshot().Count(l => l.Message.Contains("could not take", StringComparison.Ordinal) || l.Message.Contains("still cannot take", StringComparison.Ordinal)) >= 3
                && refused.Elapsed > TimeSpan.FromMilliseconds(300),
            "The sink should retry the refused connection.");
        await using var late = await StubCollector.StartAsync(port: port);
        await late.WaitForStoredAsync(ids);
        await sink.DisposeAsync();

        Assert.Equal(ids, late.Requests.SelectMany(r => r.Ids));
        Assert.All(late.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(12, Sum(sent));
        Assert.Empty(failed.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Dispose_RecordStillSetAside_CountedOnceAsUndelivered()
    {
        using var sent = Metric(Sent);
        using var failed = Metric(Failed);
        FailRequestsWith("poison");
        var sink = Sink(o =>
        {
            o.BatchSize = 6;
            o.GiveUpRecordAfter = TimeSpan.FromHours(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
        });

        var poison = Call("poison");
        var ids = RecordCalls(sink, 3);
        sink.Record(poison);
        ids.AddRange(RecordCalls(sink, 2));
        await Collector.WaitForStoredAsync(ids);
        await WaitUntilAsync(() => Logger.Collector.GetSnapshot().Any(l => l.Message.Contains("set aside", StringComparison.Ordinal)), "The poison should be set aside.");
        await sink.DisposeAsync();

        var measurement = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("shutdown", measurement.Tags["error.type"]);
        Assert.Equal(5, Sum(sent));
        Assert.Contains(Logger.Collector.GetSnapshot(), l => l.Message.Contains("1 records undelivered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Record_RecordSetAside_CountsAgainstTheBufferBound()
    {
        using var sent = Metric(Sent);
        using var failed = Metric(Failed);
        using var dropped = Metric(Dropped);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Collector.Answer(async (request, ctx) =>
        {
            if (request.Records.Any(r => r.App == "poison"))
            {
                ctx.Response.StatusCode = 500;
                return true;
            }

            await release.Task; // Holds the sink's loop while the test records.
            return false;
        });
        var sink = Sink(o =>
        {
            o.BufferCapacity = 3;
            o.BatchSize = 1;
            o.GiveUpRecordAfter = TimeSpan.FromHours(1);
        });

        sink.Record(Call("poison"));
        await WaitUntilAsync(() => Logger.Collector.GetSnapshot().Any(l => l.Message.Contains("set aside", StringComparison.Ordinal)), "The poison should be set aside.");
        var held = RecordCalls(sink, 1);
        await WaitUntilAsync(() => Collector.Requests.Any(r => r.Ids.Contains(held[0])), "The held record should be in flight.");
        var more = RecordCalls(sink, 5);

        // Capacity 3, one of it taken by the set-aside record: two wait, three are dropped.
        Assert.Equal(3, Sum(dropped));
        release.SetResult();
        await sink.DisposeAsync();

        Assert.Equal(held.Concat(more.Take(2)).Order(StringComparer.Ordinal), Collector.Stored.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, Sum(sent));
        Assert.Equal(7, Sum(sent) + Sum(failed) + Sum(dropped));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
