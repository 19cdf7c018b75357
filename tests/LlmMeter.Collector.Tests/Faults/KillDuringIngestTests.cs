using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Xunit.Abstractions;

namespace LlmMeter.Collector.Tests.Faults;

/// <summary>
/// Crash durability: the collector as a child process, killed with SIGKILL while four clients ingest, restarted on the
/// same SQLite file, several times over. What it acknowledged must survive; what it did not must be all or nothing;
/// redelivery must not duplicate; rollups and the budget ledger must equal the sums of the stored records.
/// </summary>
public sealed class KillDuringIngestTests(ITestOutputHelper output)
{
    private const string BudgetId = "crash-search";
    private const int Clients = 4;
    private const int BatchSize = 100;
    private const int Cycles = 3;

    [Fact]
    public async Task Ingest_KilledBySigkillDuringMultiClientIngest_AcknowledgedStoredOnceAndRollupsEqualRecords()
    {
        await using var collector = new CollectorProcess(CrashTraffic.BudgetArgs(BudgetId));
        await collector.StartAsync();
        using var read = collector.Client(CollectorHost.ReadKey);
        using var admin = collector.Client(CollectorHost.AdminKey);
        var (periodStart, _) = await StoreAudit.PeriodAsync(admin, BudgetId);
        var now = TimeProvider.System.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        var (from, to) = (periodStart.AddDays(-3), now.AddDays(1));
        var traffic = Enumerable.Range(0, Clients).Select(c => new CrashTraffic(seed: 1_000 + c, periodStart, now)).ToArray();
        var sent = new List<SentBatch>();

        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            // Kill after a different number of acknowledged batches each cycle, with the other clients mid-request.
            var killAfter = 6 + (cycle * 5);
            var (batches, inFlight) = await IngestUntilKilledAsync(collector, traffic, cycle, killAfter);
            sent.AddRange(batches);
            Assert.Equal("ok", IntegrityCheckOfCopy(collector.DatabasePath));
            await collector.StartAsync();

            var stored = await StoreAudit.StoredAsync(read, from, to);
            var figures = AssertCrashConsistent(sent, stored);
            await StoreAudit.AssertSpendMatchesAsync(read, stored.Values, from, to);
            var budgetSpent = await StoreAudit.AssertBudgetMatchesAsync(admin, BudgetId, stored.Values, CrashTraffic.InBudgetScope);

            // This cycle's batches again, acknowledged or not (earlier cycles' were redelivered after their kill):
            // only what the crash lost is stored, the rest are duplicates.
            var storedOfCycle = batches.Sum(b => b.Records.Count(r => stored.ContainsKey(r.Id)));
            var (accepted, duplicates) = await RedeliverAsync(collector, batches);
            Assert.Equal(storedOfCycle, duplicates);
            Assert.Equal(batches.Sum(b => b.Records.Count) - storedOfCycle, accepted);
            var after = await StoreAudit.StoredAsync(read, from, to);
            Assert.Equal(sent.SelectMany(b => b.Records.Select(r => r.Id)).Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
            await StoreAudit.AssertSpendMatchesAsync(read, after.Values, from, to);
            await StoreAudit.AssertBudgetMatchesAsync(admin, BudgetId, after.Values, CrashTraffic.InBudgetScope);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                cycle {cycle + 1}: killed with {inFlight} requests in flight after {figures.Acknowledged} of {batches.Count} batches acknowledged;
                  after restart {stored.Count} records stored of {sent.Sum(b => b.Records.Count)} sent ({figures.AcknowledgedRecords} acknowledged in total, all found);
                  unacknowledged batches: {figures.UnacknowledgedStored} committed before the kill, {figures.UnacknowledgedLost} not stored;
                  budget spend {budgetSpent} USD = its records; redelivery of the cycle's batches: {accepted} accepted, {duplicates} duplicates
                """));
        }
    }

    /// <summary>Four clients post batches until the collector dies; it is killed once <paramref name="killAfter"/> batches of this cycle were acknowledged.</summary>
    private static async Task<(List<SentBatch> Batches, int InFlight)> IngestUntilKilledAsync(CollectorProcess collector, CrashTraffic[] traffic, int cycle, int killAfter)
    {
        var batches = new ConcurrentQueue<SentBatch>();
        var acknowledged = 0;
        var inFlight = 0;
        var clients = traffic.Select((generator, client) => Task.Run(async () =>
        {
            using var http = collector.Client(CollectorHost.IngestKey);
            while (true)
            {
                var batch = new SentBatch(cycle, generator.NextBatch($"crash-c{cycle}-k{client}", BatchSize));
                batches.Enqueue(batch);
                Interlocked.Increment(ref inFlight);
                try
                {
                    await IngestAsync(http, batch.Records);
                    batch.Acknowledge();
                    Interlocked.Increment(ref acknowledged);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return; // The collector is gone: this batch's fate is for the restart to tell.
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                }
            }
        })).ToList();

        await WaitFor.ConditionAsync(() => Volatile.Read(ref acknowledged) >= killAfter, $"{killAfter} acknowledged batches", TimeSpan.FromSeconds(30));
        if (cycle > 0)
        {
            // Not always right after an answer: later cycles land a few milliseconds into the other requests.
            await Task.Delay(TimeSpan.FromMilliseconds(cycle * 4));
        }

        var inFlightAtKill = Volatile.Read(ref inFlight);
        await collector.KillAsync();
        await Task.WhenAll(clients);
        return ([.. batches], inFlightAtKill);
    }

    /// <summary>
    /// Asserts the state after a kill: nothing stored that was not sent, each as sent; acknowledged batches whole;
    /// interrupted batches whole or absent. Returns the last cycle's figures (and the acknowledged records of all cycles).
    /// </summary>
    private static (int Acknowledged, int AcknowledgedRecords, int UnacknowledgedStored, int UnacknowledgedLost) AssertCrashConsistent(
        List<SentBatch> sent,
        Dictionary<string, LlmCallRecord> stored)
    {
        var sentById = sent.SelectMany(b => b.Records).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var strangers = stored.Keys.Where(id => !sentById.ContainsKey(id)).ToList();
        Assert.True(strangers.Count == 0, $"Stored but never sent: {string.Join(", ", strangers.Take(5))}");
        foreach (var (id, record) in stored)
        {
            Assert.Equal(LlmMeterJson.Serialize(sentById[id]), LlmMeterJson.Serialize(record));
        }

        var cycle = sent[^1].Cycle;
        var (acknowledged, unacknowledgedStored, unacknowledgedLost) = (0, 0, 0);
        foreach (var batch in sent)
        {
            var found = batch.Records.Count(r => stored.ContainsKey(r.Id));
            if (batch.Acknowledged)
            {
                Assert.True(found == batch.Records.Count, $"An acknowledged batch of cycle {batch.Cycle} has {found} of {batch.Records.Count} records stored after the kill.");
                acknowledged += batch.Cycle == cycle ? 1 : 0;
            }
            else
            {
                // One request is one transaction: a batch the kill interrupted is stored whole or not at all.
                Assert.True(found is 0 || found == batch.Records.Count, $"An interrupted batch of cycle {batch.Cycle} is stored in part ({found} of {batch.Records.Count}).");
                if (batch.Cycle == cycle)
                {
                    unacknowledgedStored += found == 0 ? 0 : 1;
                    unacknowledgedLost += found == 0 ? 1 : 0;
                }
            }
        }

        return (acknowledged, sent.Where(b => b.Acknowledged).Sum(b => b.Records.Count), unacknowledgedStored, unacknowledgedLost);
    }

    /// <summary>Posts the batches again from four clients; returns the summed accepted and duplicate counts.</summary>
    private static async Task<(int Accepted, int Duplicates)> RedeliverAsync(CollectorProcess collector, List<SentBatch> sent)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            using var http = collector.Client(CollectorHost.IngestKey);
            var totals = (Accepted: 0, Duplicates: 0);
            for (var i = client; i < sent.Count; i += Clients)
            {
                var (accepted, duplicates) = await IngestAsync(http, sent[i].Records);
                totals = (totals.Accepted + accepted, totals.Duplicates + duplicates);
            }

            return totals;
        })));
        return (results.Sum(r => r.Accepted), results.Sum(r => r.Duplicates));
    }

    /// <summary>One batch to <c>POST /v1/calls</c>; holds for the answer with and without a <c>rejected</c> list (which must be empty).</summary>
    private static async Task<(int Accepted, int Duplicates)> IngestAsync(HttpClient http, IReadOnlyList<LlmCallRecord> batch)
    {
        using var response = await Api.Api.PostAsync(http, batch);
        var body = await Api.Api.ReadJsonAsync(response, HttpStatusCode.OK);
        if (body.TryGetProperty("rejected", out var rejected))
        {
            Assert.Equal(0, rejected.GetArrayLength());
        }

        return (body.GetProperty("accepted").GetInt32(), body.GetProperty("duplicates").GetInt32());
    }

    /// <summary>
    /// <c>PRAGMA integrity_check</c> of the files a kill left behind (database, WAL), on a copy: recovering the WAL is
    /// for the restarted collector to do, not for the test.
    /// </summary>
    private static string IntegrityCheckOfCopy(string databasePath)
    {
        var copy = Path.Combine(Path.GetDirectoryName(databasePath)!, "copy-" + Guid.NewGuid().ToString("N") + ".db");
        foreach (var suffix in new[] { string.Empty, "-wal" })
        {
            if (File.Exists(databasePath + suffix))
            {
                File.Copy(databasePath + suffix, copy + suffix);
            }
        }

        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={copy};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            return (string)command.ExecuteScalar()!;
        }
        finally
        {
            foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
            {
                File.Delete(copy + suffix);
            }
        }
    }
}
