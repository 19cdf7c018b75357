using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

public sealed class DurabilityTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task Restart_SameDatabaseFile_KeepsCallsAndSpend()
    {
        var folder = CollectorHost.NewFolder();
        try
        {
            var records = Enumerable.Range(0, 5).Select(i => Records.Call(startedAt: s_at.AddMinutes(i), cost: 0.25m)).ToList();
            await using (var first = await CollectorHost.StartAsync(folder, [], null))
            {
                Assert.Equal((5, 0), await Api.IngestAsync(first.Client(CollectorHost.IngestKey), records));
            }

            await using var second = await CollectorHost.StartAsync(folder, [], null);
            using var read = second.Client(CollectorHost.ReadKey);
            var calls = await Api.AllCallsAsync(read);
            Assert.Equal(records.Select(LlmMeterJson.Serialize).Reverse(), calls.Select(c => c.GetRawText()));
            var spend = await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27&to=2026-11-28");
            Assert.Equal(1.25m, spend.GetProperty("total").GetProperty("cost_usd").GetDecimal());
            // Still the same ids after the restart: sending them again stores nothing.
            Assert.Equal((0, 5), await Api.IngestAsync(second.Client(CollectorHost.IngestKey), records));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Post_16ClientsInParallelWithOverlappingIds_ExactAcceptedAndDuplicateTotals()
    {
        const int Clients = 16;
        const int BatchesPerClient = 6;
        const int BatchSize = 25;
        await using var host = await CollectorHost.StartAsync();
        // Client c's batch b takes ids from a window that overlaps its neighbours' windows.
        var batches = Enumerable.Range(0, Clients).Select(c => Enumerable.Range(0, BatchesPerClient)
            .Select(b => Enumerable.Range(0, BatchSize)
                .Select(k => Records.Call(id: $"gen-par-{((c * 40) + (b * 15) + k) % 500:D3}", startedAt: s_at, cost: 0.001m))
                .ToList())
            .ToList()).ToList();
        var sent = batches.Sum(c => c.Sum(b => b.Count));
        var unique = batches.SelectMany(c => c.SelectMany(b => b.Select(r => r.Id))).Distinct().Count();
        Assert.True(unique < sent, "the batches must overlap");

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = batches.Select(clientBatches => Task.Run(async () =>
        {
            using var client = host.Client(CollectorHost.IngestKey);
            await go.Task;
            var totals = (Accepted: 0, Duplicates: 0);
            foreach (var batch in clientBatches)
            {
                var (accepted, duplicates) = await Api.IngestAsync(client, batch);
                totals = (totals.Accepted + accepted, totals.Duplicates + duplicates);
            }

            return totals;
        })).ToList();
        go.SetResult();
        var results = await Task.WhenAll(running);

        Assert.Equal(unique, results.Sum(r => r.Accepted));
        Assert.Equal(sent - unique, results.Sum(r => r.Duplicates));
        using var read = host.Client(CollectorHost.ReadKey);
        Assert.Equal(unique, (await Api.AllCallsAsync(read)).Count);
        var total = (await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27&to=2026-11-28")).GetProperty("total");
        Assert.Equal(unique, total.GetProperty("requests").GetInt64());
        Assert.Equal(unique * 0.001m, total.GetProperty("cost_usd").GetDecimal());
    }
}
