using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Tests.Sink;

/// <summary>Invalid records, as a current collector (200 with <c>rejected</c>) and an older one (400 for the whole request) report them.</summary>
public sealed class CollectorSinkRejectionTests : SinkTestKit
{
    [Fact]
    public async Task Send_200WithRejected_CountsThemByBoundedFieldAndNeverResendsThem()
    {
        using var sent = Metric(Sent);
        using var rejected = Metric(Rejected);
        using var failed = Metric(Failed);
        var fields = new Dictionary<string, string>
        {
            ["bad-served"] = "served_model",
            ["bad-tags"] = "tags.team",
            ["bad-unknown"] = "no_such_field",
        };
        Collector.Answer(async (request, ctx) =>
        {
            var bad = request.Records.Select((r, i) => (Record: r, Index: i)).Where(x => fields.ContainsKey(x.Record.App)).ToList();
            var duplicates = Collector.Store(request.Records.Where(r => !fields.ContainsKey(r.App)));
            await ctx.Response.WriteAsJsonAsync(new
            {
                accepted = request.Records.Count - bad.Count - duplicates,
                duplicates,
                rejected = bad.Select(x => new { index = x.Index, id = x.Record.Id, field = fields[x.Record.App], message = "is not valid." }),
            });
            return true;
        });
        var sink = Sink(o => o.BatchSize = 10);

        var calls = Enumerable.Range(0, 10).Select(i => Call(i switch { 1 => "bad-served", 4 => "bad-tags", 8 => "bad-unknown", _ => "good" })).ToList();
        calls.ForEach(sink.Record);
        await sent.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        await sink.DisposeAsync();

        var request = Assert.Single(Collector.Requests);
        Assert.Equal(calls.Select(c => c.Id), request.Ids);
        Assert.Equal(calls.Where(c => c.App == "good").Select(c => c.Id).Order(StringComparer.Ordinal), Collector.Stored.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(7, Sum(sent));
        Assert.Equal(new Dictionary<string, long> { ["served_model"] = 1, ["tags"] = 1, ["other"] = 1 }, SumBy(rejected, "field"));
        Assert.Empty(failed.GetMeasurementSnapshot());
        var log = Assert.Single(Logger.Collector.GetSnapshot(), l => l.Level == LogLevel.Warning);
        Assert.Contains("rejected 3 of 10 records", log.Message, StringComparison.Ordinal);
        Assert.Contains("served_model: 1", log.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Logger.Collector.GetSnapshot(), l => calls.Any(c => l.Message.Contains(c.Id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Send_400WithIndexFromAnOlderCollector_RejectsThatRecordAndResendsTheRestAtOnce()
    {
        using var sent = Metric(Sent);
        using var rejected = Metric(Rejected);
        using var failed = Metric(Failed);
        Collector.Answer(async (request, ctx) => await RefuseFirstBadAsync(request, ctx, withIndex: true, withField: true));
        var sink = Sink(o => o.BatchSize = 10);

        var calls = Enumerable.Range(0, 10).Select(i => Call(i is 2 or 7 ? "bad" : "good")).ToList();
        calls.ForEach(sink.Record);
        var good = calls.Where(c => c.App == "good").Select(c => c.Id).ToList();
        await Collector.WaitForStoredAsync(good);
        await sink.DisposeAsync();

        // One request per bad record, then the rest: nothing rejected is sent again.
        Assert.Equal([10, 9, 8], Collector.Requests.Select(r => r.Records.Count));
        Assert.Equal(good, Collector.Requests.Last().Ids);
        Assert.DoesNotContain(calls[2].Id, Collector.Requests.ElementAt(1).Ids);
        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(8, Sum(sent));
        Assert.Equal(new Dictionary<string, long> { ["app"] = 2 }, SumBy(rejected, "field"));
        Assert.Empty(failed.GetMeasurementSnapshot());
        var log = Assert.Single(Logger.Collector.GetSnapshot(), l => l.Level == LogLevel.Warning);
        Assert.Contains("rejected 2 of 10 records as invalid (fields: app: 2)", log.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "app")]
    [InlineData(false, "other")]
    public async Task Send_400WithoutIndex_SplitsDownToTheBadRecordAndDeliversTheRestInOrder(bool withField, string tag)
    {
        using var sent = Metric(Sent);
        using var rejected = Metric(Rejected);
        using var failed = Metric(Failed);
        Collector.Answer(async (request, ctx) => await RefuseFirstBadAsync(request, ctx, withIndex: false, withField));
        var sink = Sink(o => o.BatchSize = 8);

        var calls = Enumerable.Range(0, 8).Select(i => Call(i == 5 ? "bad" : "good")).ToList();
        calls.ForEach(sink.Record);
        var good = calls.Where(c => c.App == "good").Select(c => c.Id).ToList();
        await Collector.WaitForStoredAsync(good);
        await rejected.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        await sink.DisposeAsync();

        // 8 -> 4 -> 2 -> 1: the bad record alone is refused once and never sent again.
        Assert.Equal([8, 4, 4, 2, 1, 1, 2], Collector.Requests.Select(r => r.Records.Count));
        Assert.Equal([8, 4, 2, 1], Collector.Requests.Where(r => r.Ids.Contains(calls[5].Id)).Select(r => r.Records.Count));
        Assert.Equal(good, Collector.Requests.Where(r => r.Records.All(c => c.App == "good")).SelectMany(r => r.Ids));
        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(7, Sum(sent));
        Assert.Equal(new Dictionary<string, long> { [tag] = 1 }, SumBy(rejected, "field"));
        Assert.Empty(failed.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Send_413ForASingleRecord_RejectsItAndDeliversTheOthers()
    {
        using var sent = Metric(Sent);
        using var rejected = Metric(Rejected);
        Collector.Answer(async (request, ctx) =>
        {
            if (!request.Records.Any(r => r.App == "huge"))
            {
                return false;
            }

            await Results.Problem(statusCode: 413, title: "Request too large").ExecuteAsync(ctx);
            return true;
        });
        var sink = Sink(o => o.BatchSize = 4);

        var calls = new[] { Call(), Call("huge"), Call(), Call() };
        Array.ForEach(calls, sink.Record);
        await rejected.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        await sink.DisposeAsync();

        Assert.Equal(calls.Where(c => c.App != "huge").Select(c => c.Id).Order(StringComparer.Ordinal), Collector.Stored.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, Sum(sent));
        Assert.Equal(new Dictionary<string, long> { ["other"] = 1 }, SumBy(rejected, "field"));
    }

    [Fact]
    public async Task Send_401_NotRetriedAndCountedAsFailedWithTheProblemLogged()
    {
        using var failed = Metric(Failed);
        using var sent = Metric(Sent);
        using var rejected = Metric(Rejected);
        Collector.Answer(async (_, ctx) =>
        {
            await Results.Problem(statusCode: 401, title: "Unauthorized", detail: "The ingest key is not valid.").ExecuteAsync(ctx);
            return true;
        });
        var sink = Sink(o => o.BatchSize = 3);

        RecordCalls(sink, 3);
        await failed.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        await sink.DisposeAsync();

        // Not about a record: splitting cannot help, so the batch is not resent.
        Assert.Single(Collector.Requests);
        var measurement = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal(3, measurement.Value);
        Assert.Equal("http_401", measurement.Tags["error.type"]);
        Assert.Empty(sent.GetMeasurementSnapshot());
        Assert.Empty(rejected.GetMeasurementSnapshot());
        var log = Assert.Single(Logger.Collector.GetSnapshot(), l => l.Level == LogLevel.Warning);
        Assert.Contains("HTTP 401", log.Message, StringComparison.Ordinal);
        Assert.Contains("Unauthorized", log.Message, StringComparison.Ordinal);
        Assert.Contains("The ingest key is not valid.", log.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Logger.Collector.GetSnapshot(), l => l.Message.Contains(Key, StringComparison.Ordinal));
    }

    /// <summary>An older collector: 400 for the whole request at its first bad record (nothing stored), else 200.</summary>
    private static async Task<bool> RefuseFirstBadAsync(StubCollector.Received request, HttpContext ctx, bool withIndex, bool withField)
    {
        var index = request.Records.FindIndex(r => r.App == "bad");
        if (index < 0)
        {
            return false;
        }

        var extensions = new Dictionary<string, object?>();
        if (withIndex)
        {
            extensions["index"] = index;
        }

        if (withField)
        {
            extensions["field"] = "app";
        }

        await Results.Problem(statusCode: 400, title: "Invalid records", detail: "Nothing of this request was stored.", extensions: extensions).ExecuteAsync(ctx);
        return true;
    }
}
