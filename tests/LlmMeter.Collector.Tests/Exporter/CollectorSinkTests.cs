using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;

namespace LlmMeter.Collector.Tests.Exporter;

/// <summary>The library's <see cref="LlmMeterCollectorSink"/> against the real collector (Kestrel, SQLite file).</summary>
public sealed class CollectorSinkTests
{
    [Fact]
    public async Task Record_ManyCalls_EachStoredOnceAsSent()
    {
        await using var host = await CollectorHost.StartAsync();
        using var reader = host.Client(CollectorHost.ReadKey);
        using var counters = new ExporterCounters();
        var calls = ExporterKit.Calls(250);

        await using (var sink = new LlmMeterCollectorSink(ExporterKit.Options(host.BaseAddress), meterFactory: counters.MeterFactory))
        {
            calls.ForEach(sink.Record);
            await WaitFor.ConditionAsync(() => counters.Sent == calls.Count, "the sink to send every record");
        }

        await ExporterKit.AssertStoredExactlyOnceAsync(reader, calls);
        Assert.Equal(0, counters.Failed);
        Assert.Equal(0, counters.Dropped);
    }

    [Fact]
    public async Task Record_CollectorDownThenBackOnTheSameFile_NothingLostNothingDuplicated()
    {
        var folder = CollectorHost.NewFolder();
        var url = $"http://127.0.0.1:{ExporterKit.FreePort()}";
        string[] args = ["--urls", url];
        using var counters = new ExporterCounters();
        using var transport = new TransportProbe();
        var before = ExporterKit.Calls(300);
        var whileDown = ExporterKit.Calls(1_200);
        try
        {
            await using var sink = new LlmMeterCollectorSink(ExporterKit.Options(new Uri(url), batchSize: 500), meterFactory: counters.MeterFactory, transport: transport);
            var first = await CollectorHost.StartAsync(folder, args, null);
            before.ForEach(sink.Record);
            await WaitFor.ConditionAsync(() => counters.Sent == before.Count, "the first records to be sent");
            await first.DisposeAsync();

            // Down: the first batch is refused a connection and retried; the rest waits in the buffer.
            whileDown.ForEach(sink.Record);
            await WaitFor.ConditionAsync(() => transport.Failures >= 3, "the sink to retry against the stopped collector");
            await using var second = await CollectorHost.StartAsync(folder, args, null);
            await WaitFor.ConditionAsync(() => counters.Sent == before.Count + whileDown.Count, "the sink to drain into the restarted collector");

            Assert.Equal(0, counters.Failed);
            Assert.Equal(0, counters.Dropped);
            using var reader = second.Client(CollectorHost.ReadKey);
            await ExporterKit.AssertStoredExactlyOnceAsync(reader, [.. before, .. whileDown]);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Send_BatchCommittedButAnswerLost_ResentBatchCountedAsDuplicatesAndStoredOnce()
    {
        await using var host = await CollectorHost.StartAsync();
        using var reader = host.Client(CollectorHost.ReadKey);
        using var counters = new ExporterCounters();
        using var transport = new TransportProbe(loseFirstAnswer: true);
        var calls = ExporterKit.Calls(40);

        await using (var sink = new LlmMeterCollectorSink(ExporterKit.Options(host.BaseAddress, batchSize: 40), meterFactory: counters.MeterFactory, transport: transport))
        {
            calls.ForEach(sink.Record);
            await WaitFor.ConditionAsync(() => counters.Sent == calls.Count, "the resent batch to be acknowledged");
        }

        // The first answer (all accepted) never reached the sink; the retry found them all stored already.
        Assert.Equal([(40, 0), (0, 40)], transport.Answers);
        await ExporterKit.AssertStoredExactlyOnceAsync(reader, calls);
    }

    [Fact]
    public async Task Record_SameRecordsThroughTwoSinks_SecondCountedAsDuplicatesAndStoredOnce()
    {
        await using var host = await CollectorHost.StartAsync();
        using var reader = host.Client(CollectorHost.ReadKey);
        var calls = ExporterKit.Calls(120);

        foreach (var _ in new[] { 1, 2 })
        {
            using var counters = new ExporterCounters();
            await using var sink = new LlmMeterCollectorSink(ExporterKit.Options(host.BaseAddress), meterFactory: counters.MeterFactory);
            calls.ForEach(sink.Record);
            await WaitFor.ConditionAsync(() => counters.Sent == calls.Count, "the sink to send every record");
        }

        await ExporterKit.AssertStoredExactlyOnceAsync(reader, calls);
    }

    [Fact]
    public async Task Send_WrongKey_RejectedOnceAndCountedAsFailed()
    {
        await using var host = await CollectorHost.StartAsync();
        using var counters = new ExporterCounters();
        using var reader = host.Client(CollectorHost.ReadKey);
        var options = ExporterKit.Options(host.BaseAddress, batchSize: 5);
        options.IngestKey = CollectorHost.ReadKey; // A known key without the ingest scope: 403.

        await using (var sink = new LlmMeterCollectorSink(options, meterFactory: counters.MeterFactory))
        {
            ExporterKit.Calls(5).ForEach(sink.Record);
            await WaitFor.ConditionAsync(() => counters.Failed == 5, "the rejected batch to be counted");
        }

        Assert.Equal(0, counters.Sent);
        Assert.Equal(0, await ExporterKit.SpendRequestsAsync(reader));
    }
}
