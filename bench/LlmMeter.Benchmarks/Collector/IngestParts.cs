using System.Diagnostics;
using System.Text.Json;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Metrics;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Benchmarks.Collector;

/// <summary>CPU per record of each ingest step outside SQLite (<c>-- collector-parts</c>), single-threaded.</summary>
internal static class IngestParts
{
    public static void Run()
    {
        var records = Enumerable.Range(0, 500).Select(n => BenchRecords.Create("parts", n)).ToList();
        var body = JsonSerializer.SerializeToUtf8Bytes(records, LlmMeterJsonContext.Default.ListLlmCallRecord);
        var services = new ServiceCollection().AddMetrics().AddOptions().AddSingleton<CollectorMetrics>()
            .Configure<LlmMeter.Collector.Hosting.CollectorOptions>(_ => { }).BuildServiceProvider();
        var metrics = services.GetRequiredService<CollectorMetrics>();
        var now = DateTimeOffset.UtcNow;

        var fast = records.Count(r =>
        {
            var reader = new System.Text.Json.Utf8JsonReader(JsonSerializer.SerializeToUtf8Bytes(r, LlmMeterJsonContext.Default.LlmCallRecord));
            reader.Read();
            return FastRecordReader.TryRead(ref reader, out _);
        });
        Console.WriteLine($"fast reader path taken for {fast} of {records.Count} records");
        Time("parse (RecordParser.ParseArray)", () => RecordParser.ParseArray(body, 5000).Records.Count);
        Time("validate (RecordValidator)", () => records.Count(r => RecordValidator.Validate(r, now) is null));
        Time("to columns + JSON (StoredCall.From)", () => records.Count(r => StoredCall.From(r).Json.Length > 0));
        Time("metrics (CollectorMetrics.OnIngested)", () => { metrics.OnIngested(new IngestResult(records, 0)); return 1; });
    }

    private static void Time(string what, Func<int> batch)
    {
        for (var i = 0; i < 20; i++)
        {
            batch();
        }

        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 40; i++)
            {
                batch();
            }

            best = Math.Min(best, watch.Elapsed.TotalMicroseconds / (40 * 500));
        }

        Console.WriteLine($"{what,-40} {best,6:F2} us a record");
    }
}
