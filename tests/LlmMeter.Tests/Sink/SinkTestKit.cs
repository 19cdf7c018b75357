using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Sink;

/// <summary>A stub collector, a meter factory and a fake logger per test, plus record and wait helpers.</summary>
public abstract class SinkTestKit : IAsyncLifetime
{
    public const string Key = "ingest-key-test-0123456789";
    public const string Sent = "llmmeter.exporter.sent";
    public const string Failed = "llmmeter.exporter.failed";
    public const string Rejected = "llmmeter.exporter.rejected";
    public const string Dropped = "llmmeter.exporter.dropped";

    private static int s_next;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    protected StubCollector Collector { get; private set; } = null!;

    protected FakeLogger Logger { get; } = new();

    protected IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    /// <summary>The clock the stub stamps arrivals with; override to use a fake one.</summary>
    protected virtual TimeProvider Clock => TimeProvider.System;

    public virtual async Task InitializeAsync() => Collector = await StubCollector.StartAsync(Clock);

    public virtual async Task DisposeAsync()
    {
        await Collector.DisposeAsync();
        await _services.DisposeAsync();
    }

    public static LlmCallRecord Call(string app = "sink-tests") => new()
    {
        Id = $"gen-sink-{Interlocked.Increment(ref s_next)}-{Guid.NewGuid():N}",
        StartedAt = new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero),
        App = app,
        Endpoint = LlmEndpoints.ChatCompletions,
        RequestedModel = "openai/gpt-4o",
        ServedModel = "openai/gpt-4o",
        StatusCode = 200,
        Outcome = LlmCallOutcome.Success,
        LatencyMs = 120.5,
        InputTokens = 100,
        OutputTokens = 50,
        CostUsd = 0.00123m,
        CostSource = LlmCostSource.Reported,
    };

    /// <summary>Records <paramref name="count"/> new calls through the sink and returns their ids.</summary>
    public static List<string> RecordCalls(LlmMeterCollectorSink sink, int count)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var call = Call();
            ids.Add(call.Id);
            sink.Record(call);
        }

        return ids;
    }

    /// <summary>Moves the fake clock by <paramref name="step"/> until <paramref name="condition"/> holds (10 s of real time at most).</summary>
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "The condition did not hold within 10 s.");
            time.Advance(step);
            await Task.Delay(5); // Lets the sink's loop and Kestrel see the new time.
        }
    }

    /// <summary>Re-checks <paramref name="condition"/> until it holds (10 s at most, then fails).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string because)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), because);
            await Task.Delay(10);
        }
    }

    protected LlmMeterCollectorOptions Options(Action<LlmMeterCollectorOptions>? configure = null)
    {
        var options = new LlmMeterCollectorOptions
        {
            Collector = Collector.Address,
            IngestKey = Key,
            FlushInterval = TimeSpan.FromHours(1), // Tests flush by size or by disposing unless they say otherwise.
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        return options;
    }

    protected LlmMeterCollectorSink Sink(Action<LlmMeterCollectorOptions>? configure = null, TimeProvider? time = null) =>
        new(Options(configure), time, MeterFactory, Logger);

    protected MetricCollector<long> Metric(string instrument, TimeProvider? time = null) => new(MeterFactory, "LlmMeter", instrument, time);

    /// <summary>The sum of <paramref name="metric"/> by the value of its <paramref name="tag"/>.</summary>
    protected static Dictionary<string, long> SumBy(MetricCollector<long> metric, string tag) =>
        metric.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags[tag]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));

    /// <summary>Answers 500 to any request holding a record of <paramref name="app"/>, and 200 (stored) to the others.</summary>
    protected void FailRequestsWith(string app) => Collector.Answer(async (request, ctx) =>
    {
        if (!request.Records.Any(r => r.App == app))
        {
            return false;
        }

        ctx.Response.StatusCode = 500;
        await ctx.Response.WriteAsync("The store failed on a record.");
        return true;
    });

    protected static long Sum(MetricCollector<long> metric) => metric.GetMeasurementSnapshot().Sum(m => m.Value);
}
