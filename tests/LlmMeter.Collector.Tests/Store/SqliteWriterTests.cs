using Dapper;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Tests.Store;

/// <summary>The single writer batches requests into one transaction; one failing request must cost only itself.</summary>
public sealed class SqliteWriterTests
{
    [Fact]
    public async Task SubmitAsync_OneRequestOfABatchFails_ItsNeighboursCommit()
    {
        await using var temp = await TempStore.CreateAsync();
        // Hold the writer inside a first request so the next ones queue up and are taken as one batch.
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocker = temp.Store.WriteAsync(_ =>
        {
            holding.Set();
            return release.Wait(TimeSpan.FromSeconds(30));
        }, CancellationToken.None);
        Assert.True(holding.Wait(TimeSpan.FromSeconds(30)));
        var before = temp.Store.WriteTransactions;
        var good = Enumerable.Range(0, 5).Select(_ => Records.Call()).ToArray();

        var first = temp.Store.InsertAsync(good[..2], CancellationToken.None);
        // A constraint violation (calls.started_at_ms is NOT NULL) in the middle of the batch.
        var bad = temp.Store.WriteAsync(s => s.Connection.Execute("INSERT INTO calls (id) VALUES ('bad')", transaction: s.Transaction), CancellationToken.None);
        var last = temp.Store.InsertAsync(good[2..], CancellationToken.None);
        release.Set();

        Assert.True(await blocker);
        await Assert.ThrowsAsync<SqliteException>(() => bad);
        Assert.Equal(good[..2], (await first).Accepted);
        Assert.Equal(good[2..], (await last).Accepted);
        Assert.Equal(5, temp.Scalar("SELECT COUNT(*) FROM calls"));
        Assert.Equal(5, temp.Scalar("SELECT SUM(requests) FROM spend_hourly"));
        // The batch of three failed once, then each ran alone.
        Assert.Equal(1 + 3, temp.Store.WriteTransactions - before);
    }
}
