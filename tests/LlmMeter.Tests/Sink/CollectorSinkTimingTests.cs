using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Sink;

/// <summary>Flush interval and Retry-After on a fake clock: the stub stamps arrivals with it, so waits are measured exactly.</summary>
public sealed class CollectorSinkTimingTests : SinkTestKit
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    [Fact]
    public async Task Record_FewerThanBatchSize_SentTogetherOnceTheFlushIntervalPassed()
    {
        await using var sink = Sink(o => o.FlushInterval = TimeSpan.FromSeconds(5), _time);
        var start = _time.GetUtcNow();

        var ids = RecordCalls(sink, 3);
        await AdvanceUntilAsync(_time, TimeSpan.FromMilliseconds(250), () => !Collector.Requests.IsEmpty);

        var request = Assert.Single(Collector.Requests);
        Assert.Equal(ids, request.Ids);
        Assert.True(request.At - start >= TimeSpan.FromSeconds(5), $"Sent after {request.At - start}, before the interval.");
    }

    [Fact]
    public async Task Send_503WithRetryAfterSeconds_WaitsThatLongThenDeliversEachRecordOnce()
    {
        using var sent = Metric(Sent);
        Collector.FailFirst(1, 503, retryAfter: "20");
        await using var sink = Sink(
            o =>
            {
                o.BatchSize = 4;
                o.MaxRetryDelay = TimeSpan.FromSeconds(60);
            },
            _time);

        var ids = RecordCalls(sink, 4);
        await AdvanceUntilAsync(_time, TimeSpan.FromMilliseconds(500), () => Collector.Requests.Count >= 2);
        await sent.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));

        var requests = Collector.Requests.ToArray();
        var waited = requests[1].At - requests[0].At;

        // The backoff alone would retry after about a second; the cap (60 s) was not used either.
        Assert.InRange(waited, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(59));
        Assert.Equal(2, requests.Length);
        Assert.Equal(ids, requests[1].Ids);
        Assert.Equal(ids.Order(StringComparer.Ordinal), Collector.Stored.Keys.Order(StringComparer.Ordinal));
        Assert.All(Collector.Stored.Values, n => Assert.Equal(1, n));
        Assert.Equal(4, Sum(sent));
    }

    [Fact]
    public async Task Send_429WithRetryAfterDate_WaitsUntilThatDate()
    {
        using var sent = Metric(Sent);
        var until = _time.GetUtcNow() + TimeSpan.FromSeconds(15);
        Collector.FailFirst(1, 429, retryAfter: until.ToString("r", CultureInfo.InvariantCulture));
        await using var sink = Sink(
            o =>
            {
                o.BatchSize = 2;
                o.MaxRetryDelay = TimeSpan.FromSeconds(60);
            },
            _time);

        var ids = RecordCalls(sink, 2);
        await AdvanceUntilAsync(_time, TimeSpan.FromMilliseconds(500), () => Collector.Requests.Count >= 2);
        await sent.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));

        var requests = Collector.Requests.ToArray();
        Assert.InRange(requests[1].At, until, until + TimeSpan.FromSeconds(44));
        Assert.Equal(ids, requests[1].Ids);
        Assert.Equal(2, Sum(sent));
    }

    [Fact]
    public async Task Send_RetryAfterBeyondMaxRetryDelay_WaitsOnlyTheMaximum()
    {
        using var sent = Metric(Sent);
        Collector.FailFirst(1, 503, retryAfter: "3600");
        await using var sink = Sink(
            o =>
            {
                o.BatchSize = 1;
                o.MaxRetryDelay = TimeSpan.FromSeconds(10);
            },
            _time);

        RecordCalls(sink, 1);
        await AdvanceUntilAsync(_time, TimeSpan.FromMilliseconds(500), () => Collector.Requests.Count >= 2);

        var requests = Collector.Requests.ToArray();
        Assert.InRange(requests[1].At - requests[0].At, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        await sent.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
    }
}
