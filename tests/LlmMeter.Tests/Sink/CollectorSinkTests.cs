using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmMeter.Tests.Sink;

public sealed class CollectorSinkTests : SinkTestKit
{
    [Fact]
    public async Task Record_BatchSizeReached_SendsFullBatchesWithoutWaitingForTheInterval()
    {
        using var sent = Metric(Sent);
        await using var sink = Sink(o => o.BatchSize = 10);

        var ids = RecordCalls(sink, 25);
        await Collector.WaitForRequestsAsync(2);
        await sent.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(10));

        // The interval is an hour: only full batches went, the last five wait.
        Assert.Equal([10, 10], Collector.Requests.Select(r => r.Records.Count));
        Assert.Equal(ids.Take(20), Collector.Requests.SelectMany(r => r.Ids));
        Assert.Equal(20, Sum(sent));
    }

    [Fact]
    public async Task Send_EveryRequest_CarriesTheIngestKeyAsBearerAndJson()
    {
        await using var sink = Sink(o => o.BatchSize = 1);

        sink.Record(Call());
        await Collector.WaitForRequestsAsync(1);

        var request = Assert.Single(Collector.Requests);
        Assert.Equal("POST /v1/calls", request.Target);
        Assert.Equal("Bearer " + Key, request.Authorization);
        Assert.Equal("application/json", request.ContentType);
    }

    [Fact]
    public async Task Dispose_RecordsBuffered_SendsThemBeforeReturningAndDropsLaterRecords()
    {
        using var dropped = Metric(Dropped);
        var sink = Sink();
        var ids = RecordCalls(sink, 7);

        await sink.DisposeAsync();

        // Nothing had gone (hour-long interval, batch of 500): disposing sent all seven, once.
        var request = Assert.Single(Collector.Requests);
        Assert.Equal(ids, request.Ids);
        sink.Record(Call());
        await sink.DisposeAsync();
        sink.Dispose();
        Assert.Single(Collector.Requests);
        Assert.Equal(1, Sum(dropped));
    }

    [Fact]
    public async Task Send_ServerErrorsAndTimeouts_RetriedUntilDeliveredOnce()
    {
        using var sent = Metric(Sent);
        Collector.Answer(async (request, ctx) =>
        {
            var status = request.Index switch { 0 => 500, 1 => 0, 2 => 408, 3 => 502, _ => 200 };
            if (status == 200)
            {
                return false;
            }

            if (status == 0)
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted); // Outlasts the request timeout.
            }

            ctx.Response.StatusCode = status;
            await ctx.Response.WriteAsync("busy");
            return true;
        });
        await using var sink = Sink(o =>
        {
            o.BatchSize = 3;
            o.RequestTimeout = TimeSpan.FromMilliseconds(500);
        });

        var ids = RecordCalls(sink, 3);
        await sent.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));

        Assert.Equal(5, Collector.Requests.Count);
        Assert.All(Collector.Requests, r => Assert.Equal(ids, r.Ids));
        Assert.Equal(ids.Order(StringComparer.Ordinal), Collector.Stored.Keys.Order(StringComparer.Ordinal));
        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(3, Sum(sent));
        // At least the five that arrived (an attempt cut short by the timeout may not have reached the stub).
        var recovered = Assert.Single(Logger.Collector.GetSnapshot(), l => l.Level == LogLevel.Information);
        var attempts = int.Parse(Regex.Match(recovered.Message, "took 3 records after ([0-9]+) attempts").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(attempts >= 5, recovered.Message);
    }

    [Fact]
    public async Task Send_413_SplitsTheBatchUntilTheCollectorTakesIt()
    {
        using var sent = Metric(Sent);
        using var failed = Metric(Failed);
        Collector.Answer(async (request, ctx) =>
        {
            if (request.Records.Count <= 4)
            {
                return false;
            }

            await Results.Problem(statusCode: 413, title: "Too many records").ExecuteAsync(ctx);
            return true;
        });
        await using var sink = Sink(o => o.BatchSize = 10);

        var ids = RecordCalls(sink, 10);
        await Collector.WaitForStoredAsync(ids);

        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(ids, Collector.Requests.Where(r => r.Records.Count <= 4).SelectMany(r => r.Ids));
        Assert.Empty(failed.GetMeasurementSnapshot());
        await WaitUntilAsync(() => Sum(sent) == 10, "All ten records should be counted as sent.");
    }

    [Fact]
    public async Task Record_BufferFull_DropsTheOverflowCountsItAndLogsOnce()
    {
        using var dropped = Metric(Dropped);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Collector.Answer(async (request, _) =>
        {
            if (request.Index == 0)
            {
                await release.Task;
            }

            return false;
        });
        var sink = Sink(o =>
        {
            o.BufferCapacity = 10;
            o.BatchSize = 5;
        });

        // The first batch is held by the collector; then ten fit in the buffer and the rest are dropped.
        var first = RecordCalls(sink, 5);
        await Collector.WaitForRequestsAsync(1);
        var more = RecordCalls(sink, 100);
        Assert.Equal(90, Sum(dropped));

        // The first drop is logged at once; the others within the interval only when it ends or the sink closes.
        var logged = Assert.Single(Logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains("dropped 1 records", logged.Message, StringComparison.Ordinal);
        release.SetResult();
        await sink.DisposeAsync();

        Assert.Equal(first.Concat(more.Take(10)), Collector.Requests.SelectMany(r => r.Ids));
        Assert.Equal(
            ["dropped 1 records", "dropped 89 records"],
            Logger.Collector.GetSnapshot().Select(l => Regex.Match(l.Message, "dropped [0-9]+ records").Value));
    }

    [Fact]
    public async Task Record_CollectorHangs_NeverBlocksAndShutdownGivesUpAfterItsTimeout()
    {
        using var failed = Metric(Failed);
        using var dropped = Metric(Dropped);
        Collector.Answer(async (_, ctx) =>
        {
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            return false;
        });
        var sink = Sink(o =>
        {
            o.BufferCapacity = 1_000;
            o.BatchSize = 100;
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(300);
        });
        RecordCalls(sink, 100);
        await Collector.WaitForRequestsAsync(1);

        var clock = Stopwatch.StartNew();
        RecordCalls(sink, 20_000);
        var recording = clock.Elapsed;
        clock.Restart();
        await sink.DisposeAsync();
        var disposing = clock.Elapsed;

        Assert.True(recording < TimeSpan.FromSeconds(2), $"20,000 records took {recording} while the collector hung.");
        Assert.True(disposing < TimeSpan.FromSeconds(5), $"Disposing took {disposing} with a 300 ms shutdown timeout.");
        Assert.Equal(19_000, Sum(dropped));
        Assert.Equal(1_100, Sum(failed));
        Assert.All(failed.GetMeasurementSnapshot(), m => Assert.Equal("shutdown", m.Tags["error.type"]));
        Assert.Contains(Logger.Collector.GetSnapshot(), l => l.Message.Contains("1100 records undelivered", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Collector")]
    [InlineData("IngestKey")]
    [InlineData("BufferCapacity")]
    [InlineData("BatchSize")]
    [InlineData("FlushInterval")]
    [InlineData("MaxRetryDelay")]
    [InlineData("GiveUpRecordAfter")]
    [InlineData("RequestTimeout")]
    [InlineData("ShutdownTimeout")]
    public void Constructor_InvalidOption_ThrowsNamingTheOption(string option)
    {
        var options = Options(o =>
        {
            switch (option)
            {
                case "Collector": o.Collector = new Uri("ftp://collector/"); break;
                case "IngestKey": o.IngestKey = "two words"; break;
                case "BufferCapacity": o.BufferCapacity = 0; break;
                case "BatchSize": o.BatchSize = 5_001; break;
                case "FlushInterval": o.FlushInterval = TimeSpan.Zero; break;
                case "MaxRetryDelay": o.MaxRetryDelay = TimeSpan.FromDays(2); break;
                case "GiveUpRecordAfter": o.GiveUpRecordAfter = TimeSpan.Zero; break;
                case "RequestTimeout": o.RequestTimeout = TimeSpan.FromMilliseconds(5); break;
                default: o.ShutdownTimeout = TimeSpan.FromSeconds(-1); break;
            }
        });

        var ex = Assert.Throws<OptionsValidationException>(() => new LlmMeterCollectorSink(options));

        Assert.Equal(typeof(LlmMeterCollectorOptions), ex.OptionsType);
        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith("LlmMeterCollectorOptions." + option + " ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RelativeCollector_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new LlmMeterCollectorSink(new Uri("/collector", UriKind.Relative), Key));

        Assert.Contains("LlmMeterCollectorOptions.Collector", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Constructor_CollectorWithPath_PostsUnderThatPath()
    {
        await using var sink = new LlmMeterCollectorSink(Options(o =>
        {
            o.Collector = new Uri(Collector.Address, "/llmmeter"); // No trailing slash: still a folder.
            o.BatchSize = 1;
        }));

        sink.Record(Call());
        await Collector.WaitForRequestsAsync(1);

        Assert.Equal("POST /llmmeter/v1/calls", Assert.Single(Collector.Requests).Target);
    }
}
