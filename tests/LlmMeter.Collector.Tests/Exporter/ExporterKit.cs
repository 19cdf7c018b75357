using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LlmMeter.Collector.Tests.Api;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Exporter;

/// <summary>
/// The sink's <c>llmmeter.exporter.*</c> counters, read from a meter factory of the test's own so that parallel
/// tests do not see each other's measurements.
/// </summary>
internal sealed class ExporterCounters : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public ExporterCounters()
    {
        var factory = MeterFactory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name.StartsWith("llmmeter.exporter.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        _listener.Start();
    }

    public IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public long Sent => Total("llmmeter.exporter.sent");

    public long Failed => Total("llmmeter.exporter.failed");

    public long Dropped => Total("llmmeter.exporter.dropped");

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private long Total(string name) => _totals.TryGetValue(name, out var total) ? total : 0;
}

/// <summary>Ports, records and store checks for the exporter tests.</summary>
internal static class ExporterKit
{
    /// <summary>A port free right now on 127.0.0.1 (bound, read, released), for a collector restarted on the same address.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static LlmMeterCollectorOptions Options(Uri collector, int batchSize = 100) => new()
    {
        Collector = collector,
        IngestKey = CollectorHost.IngestKey,
        BatchSize = batchSize,
        FlushInterval = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200), // A collector that comes back is found within a fifth of a second.
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary><paramref name="count"/> realistic records, one cent each.</summary>
    public static List<LlmCallRecord> Calls(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Records.Call(startedAt: new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero).AddSeconds(i), cost: 0.01m))];

    /// <summary>How many calls the collector's spend rollups count (they would count a duplicate twice).</summary>
    public static async Task<long> SpendRequestsAsync(HttpClient reader)
    {
        var spend = await Api.Api.GetJsonAsync(reader, "v1/spend?from=2026-11-01&to=2026-12-01");
        return spend.GetProperty("total").GetProperty("requests").GetInt64();
    }

    /// <summary>
    /// Asserts that the collector holds exactly <paramref name="expected"/>: each id once in <c>GET /v1/calls</c>,
    /// each as sent (wire format), and the spend rollups counting each once.
    /// </summary>
    public static async Task AssertStoredExactlyOnceAsync(HttpClient reader, IReadOnlyList<LlmCallRecord> expected)
    {
        var stored = await Api.Api.AllCallsAsync(reader);
        var ids = stored.Select(c => c.GetProperty("id").GetString()!).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(expected.Select(r => r.Id).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        var byId = stored.ToDictionary(c => c.GetProperty("id").GetString()!, StringComparer.Ordinal);
        foreach (var record in expected.Take(3))
        {
            var roundTripped = JsonSerializer.Deserialize(byId[record.Id].GetRawText(), LlmMeterJsonContext.Default.LlmCallRecord)!;
            Assert.Equal(LlmMeterJson.Serialize(record), LlmMeterJson.Serialize(roundTripped));
        }

        Assert.Equal(expected.Count, await SpendRequestsAsync(reader));
    }
}
