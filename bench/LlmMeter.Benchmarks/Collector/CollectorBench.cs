using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Benchmarks.Collector;

/// <summary>
/// Collector throughput and query speed, run as a console (<c>-- collector-ingest</c>, <c>-- collector-spend</c>):
/// a real collector on Kestrel (127.0.0.1) over a real SQLite file, next to a raw prepared-statement insert.
/// </summary>
internal static class CollectorBench
{
    private const string Key = "bench-admin-key-0123456789";
    private const int Batch = 500;

    public static async Task IngestAsync(int records, int clients, bool arrivalOrder)
    {
        var folder = NewFolder();
        var runId = Guid.NewGuid().ToString("N")[..8];
        var all = Enumerable.Range(0, records).Select(n => BenchRecords.Create(runId, n, arrivalOrder)).ToArray();

        // Raw: the same rows and record JSON, one prepared INSERT reused, 500 rows a transaction, WAL + synchronous=FULL.
        var json = all.Select(LlmMeterJson.Serialize).ToArray();
        var raw = RawInsert(Path.Combine(folder, "raw.db"), all, json);
        Console.WriteLine($"raw prepared-statement insert: {records:N0} records in {raw.TotalSeconds:F2} s = {records / raw.TotalSeconds:N0} records/s");

        // HTTP: bodies serialised up front (the caller's work, not the collector's), posted by concurrent clients.
        var bodies = all.Chunk(Batch).Select(chunk => JsonSerializer.SerializeToUtf8Bytes(chunk.ToList(), LlmMeterJsonContext.Default.ListLlmCallRecord)).ToArray();
        await using var app = await StartAsync(folder).ConfigureAwait(false);
        var baseAddress = Address(app);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        var next = -1;
        var cpu = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(new Uri("v1/calls", UriKind.Relative), content).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }
        })).ConfigureAwait(false);
        var elapsed = watch.Elapsed;
        var cpuPerRecord = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / records;

        var stored = await CountAsync(app).ConfigureAwait(false);

        // The same records again, straight into the store (no HTTP, no JSON parse): where the time goes.
        var store = app.Services.GetRequiredService<ICallStore>();
        var again = Enumerable.Range(records, records).Select(n => BenchRecords.Create(runId, n, arrivalOrder)).Chunk(Batch).ToArray();
        next = -1;
        cpu = Environment.CpuUsage.TotalTime;
        var storeWatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < again.Length)
            {
                await store.InsertAsync(again[i], CancellationToken.None).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        Console.WriteLine($"store only (no HTTP), batches of {Batch}: {records / storeWatch.Elapsed.TotalSeconds:N0} records/s (CPU {(Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / records:F1} us a record)");
        Console.WriteLine($"HTTP ingest, batches of {Batch}, {clients} clients: {records:N0} records in {elapsed.TotalSeconds:F2} s = {records / elapsed.TotalSeconds:N0} records/s ({stored:N0} stored; CPU {cpuPerRecord:F1} us a record, client included)");
        Console.WriteLine($"ingest / raw = {raw.TotalSeconds / elapsed.TotalSeconds:P1}");
        TryDelete(folder);
    }

    public static async Task SpendAsync(long records, string folder)
    {
        Directory.CreateDirectory(folder);
        await using var app = await StartAsync(folder).ConfigureAwait(false);
        var store = app.Services.GetRequiredService<ICallStore>();
        var have = await CountAsync(app).ConfigureAwait(false);
        if (have < records)
        {
            // Seeded through the store (the ingest path minus HTTP), so the rollups are built the way ingest builds them.
            Console.WriteLine($"seeding {records - have:N0} records into {folder} ...");
            var watch = Stopwatch.StartNew();
            var next = have - 1;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                long start;
                while ((start = Interlocked.Add(ref next, 5_000) - 4_999) < records)
                {
                    var chunk = new List<LlmCallRecord>(5_000);
                    for (var n = start; n < Math.Min(start + 5_000, records); n++)
                    {
                        chunk.Add(BenchRecords.Create("spend", n));
                    }

                    await store.InsertAsync(chunk, CancellationToken.None).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            Console.WriteLine($"seeded in {watch.Elapsed.TotalSeconds:F0} s");
        }

        Console.WriteLine($"records in store: {await CountAsync(app).ConfigureAwait(false):N0}");
        using var http = new HttpClient { BaseAddress = Address(app) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var from = BenchRecords.PeriodStart.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var to = BenchRecords.PeriodEnd.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var query = new Uri($"v1/spend?from={from}&to={to}&group_by=model,team", UriKind.Relative);

        var timings = new List<double>();
        string? body = null;
        for (var i = 0; i < 60; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(query).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            if (i >= 10)
            {
                timings.Add(watch.Elapsed.TotalMilliseconds); // The first 10 warm the JIT and the page cache.
            }
        }

        timings.Sort();
        using var doc = JsonDocument.Parse(body!);
        var rows = doc.RootElement.GetProperty("rows").GetArrayLength();
        var requests = doc.RootElement.GetProperty("total").GetProperty("requests").GetInt64();
        Console.WriteLine($"GET /v1/spend 30 days group_by=model,team: {rows} rows, {requests:N0} requests; "
            + $"median {timings[timings.Count / 2]:F1} ms, p95 {timings[(int)(timings.Count * 0.95)]:F1} ms, max {timings[^1]:F1} ms over {timings.Count} queries");
    }

    private static TimeSpan RawInsert(string path, LlmCallRecord[] records, string[] json)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
                CREATE TABLE calls (id TEXT PRIMARY KEY, started_at_ms INTEGER NOT NULL, app TEXT NOT NULL, team TEXT NOT NULL,
                  model TEXT NOT NULL, provider TEXT NOT NULL, outcome TEXT NOT NULL, cost TEXT, record_json TEXT NOT NULL);
                """;
            pragma.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO calls VALUES ($id, $t, $app, $team, $model, $provider, $outcome, $cost, $json)";
        var parameters = new[] { "$id", "$t", "$app", "$team", "$model", "$provider", "$outcome", "$cost", "$json" }
            .Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        insert.Prepare();
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < records.Length; start += Batch)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            for (var i = start; i < Math.Min(start + Batch, records.Length); i++)
            {
                var r = records[i];
                parameters[0].Value = r.Id;
                parameters[1].Value = r.StartedAt.ToUnixTimeMilliseconds();
                parameters[2].Value = r.App;
                parameters[3].Value = r.Tags.GetValueOrDefault("team", "");
                parameters[4].Value = r.ServedModel ?? r.RequestedModel ?? "";
                parameters[5].Value = r.Provider ?? "";
                parameters[6].Value = r.Outcome.ToString();
                parameters[7].Value = (object?)r.CostUsd?.ToString(CultureInfo.InvariantCulture) ?? DBNull.Value;
                parameters[8].Value = json[i];
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return watch.Elapsed;
    }

    private static async Task<WebApplication> StartAsync(string folder)
    {
        var app = CollectorApp.Create(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Store:SqlitePath={Path.Combine(folder, "llmmeter.db")}",
            $"--Keys:Admin={Key}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");

    private static async Task<long> CountAsync(WebApplication app)
    {
        var store = app.Services.GetRequiredService<ICallStore>();
        var rows = await store.QuerySpendAsync(new SpendQuery { From = DateTimeOffset.UnixEpoch, To = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero) }, CancellationToken.None).ConfigureAwait(false);
        return rows.Sum(r => r.Requests);
    }

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "llmmeter-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static void TryDelete(string folder)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
