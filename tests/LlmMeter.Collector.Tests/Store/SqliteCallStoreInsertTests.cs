using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Store;

public sealed class SqliteCallStoreInsertTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task InsertAsync_FullRecord_ReadsBackExactly()
    {
        await using var temp = await TempStore.CreateAsync();
        var record = Records.Call(cost: 0.000012345678901234567m, servedModel: "anthropic/claude-3.5-sonnet", fallback: true) with
        {
            StartedAt = new DateTimeOffset(2026, 11, 27, 10, 15, 3, 123, TimeSpan.Zero),
            Tags = new Dictionary<string, string> { ["team"] = "search", ["feature"] = "summarize", ["ünï"] = "✓ \"quoted\"" },
            FallbackModels = ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet"],
            FallbackIndex = 1,
            Attempts = 2,
            RequestedProviders = ["OpenAI", "Azure"],
            Stream = true,
            CacheWriteTokens = 7,
            Routing = new LlmRoutingInfo("cheap-nights", "downgrade", "openai/gpt-4o"),
            Warnings = ["request_body_not_json"],
        };
        var bare = Records.Call(cost: null, provider: "x") with { Provider = null, ServedModel = null, RequestedModel = null, Tags = new Dictionary<string, string>() };

        var result = await temp.Store.InsertAsync([record, bare], CancellationToken.None);

        Assert.Equal([record, bare], result.Accepted);
        Assert.Equal(0, result.Duplicates);
        var read = await temp.Store.GetCallAsync(record.Id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(LlmMeterJson.Serialize(record), LlmMeterJson.Serialize(read));
        Assert.Equal(record.CostUsd, read.CostUsd);
        var readBare = await temp.Store.GetCallAsync(bare.Id, CancellationToken.None);
        Assert.Equal(LlmMeterJson.Serialize(bare), LlmMeterJson.Serialize(readBare!));
        Assert.Null(await temp.Store.GetCallAsync("gen-missing", CancellationToken.None));
        // The exact decimal is stored as text next to the summable integer units.
        Assert.Equal(123457, temp.Scalar($"SELECT cost_units FROM calls WHERE id = '{record.Id}'"));
    }

    [Fact]
    public async Task InsertAsync_IdRepeatedWithinOneCall_StoredAndCountedOnce()
    {
        await using var temp = await TempStore.CreateAsync();
        var a = Records.Call(cost: 0.5m);
        var b = Records.Call(cost: 0.25m);

        var result = await temp.Store.InsertAsync([a, b, a with { CostUsd = 9m }], CancellationToken.None);

        Assert.Equal([a, b], result.Accepted);
        Assert.Equal(1, result.Duplicates);
        Assert.Equal(2, temp.Scalar("SELECT COUNT(*) FROM calls"));
        var total = Assert.Single(await temp.Store.QuerySpendAsync(AllTime(), CancellationToken.None));
        Assert.Equal(2, total.Requests);
        Assert.Equal(0.75m, total.CostUsd);
    }

    [Fact]
    public async Task InsertAsync_SameRecordsAgain_AllDuplicatesAndRollupsUnchanged()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Enumerable.Range(0, 5).Select(_ => Records.Call()).ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);
        var fresh = Records.Call();

        var again = await temp.Store.InsertAsync([.. records, fresh], CancellationToken.None);

        Assert.Equal([fresh], again.Accepted);
        Assert.Equal(5, again.Duplicates);
        var total = Assert.Single(await temp.Store.QuerySpendAsync(AllTime(), CancellationToken.None));
        Assert.Equal(6, total.Requests);
        Assert.Equal(6 * 0.0012m, total.CostUsd);
    }

    [Fact]
    public async Task InsertAsync_ConcurrentCallsWithOverlappingIds_EachIdAcceptedExactlyOnce()
    {
        await using var temp = await TempStore.CreateAsync();
        var shared = Enumerable.Range(0, 50).Select(_ => Records.Call()).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            temp.Store.InsertAsync([.. shared.Skip(i % 5), Records.Call(), .. shared.Take(i % 5)], CancellationToken.None))));

        Assert.Equal(50 + 16, results.Sum(r => r.Accepted.Count));
        Assert.Equal((16 * 51) - 66, results.Sum(r => r.Duplicates));
        var acceptedIds = results.SelectMany(r => r.Accepted).Select(r => r.Id).ToArray();
        Assert.Equal(acceptedIds.Length, acceptedIds.Distinct().Count());
        Assert.Equal(66, temp.Scalar("SELECT COUNT(*) FROM calls"));
        Assert.Equal(66, temp.Scalar("SELECT SUM(requests) FROM spend_hourly"));
    }

    [Fact]
    public async Task InsertAsync_32ParallelTasks_ExactCountsAndCost()
    {
        await using var temp = await TempStore.CreateAsync();
        const int Tasks = 32, Requests = 10, PerRequest = 40;

        var results = await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            var accepted = 0;
            for (var r = 0; r < Requests; r++)
            {
                var records = Enumerable.Range(0, PerRequest)
                    .Select(i => Records.Call(id: $"gen-{t}-{r}-{i}", startedAt: T0.AddMinutes(i), team: $"team-{t % 4}", cost: 0.0000000001m * (i + 1)))
                    .ToArray();
                accepted += (await temp.Store.InsertAsync(records, CancellationToken.None)).Accepted.Count;
            }

            return accepted;
        })));

        const int Expected = Tasks * Requests * PerRequest;
        Assert.All(results, n => Assert.Equal(Requests * PerRequest, n));
        Assert.Equal(Expected, temp.Scalar("SELECT COUNT(*) FROM calls"));
        var total = Assert.Single(await temp.Store.QuerySpendAsync(AllTime(), CancellationToken.None));
        Assert.Equal(Expected, total.Requests);
        Assert.Equal(Tasks * Requests * (PerRequest * (PerRequest + 1) / 2) * 0.0000000001m, total.CostUsd);
        Assert.Equal(Expected * 1200L, total.InputTokens);
    }

    [Fact]
    public async Task InsertAsync_ManyRequestsQueuedAtOnce_ShareFewTransactions()
    {
        await using var temp = await TempStore.CreateAsync();
        var before = temp.Store.WriteTransactions;

        // Queued synchronously, so the writer finds most of them waiting behind its first commit.
        var inserts = Enumerable.Range(0, 200).Select(_ => temp.Store.InsertAsync([Records.Call()], CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(inserts);

        Assert.All(results, r => Assert.Single(r.Accepted));
        Assert.Equal(200, temp.Scalar("SELECT COUNT(*) FROM calls"));
        Assert.InRange(temp.Store.WriteTransactions - before, 1, 20);
    }

    [Fact]
    public async Task InsertAsync_CostOutOfRange_RejectedAndNothingOfThatCallStored()
    {
        await using var temp = await TempStore.CreateAsync();
        var good = Records.Call();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            temp.Store.InsertAsync([good, Records.Call(cost: 5_000_000m)], CancellationToken.None));

        Assert.Equal(0, temp.Scalar("SELECT COUNT(*) FROM calls"));
        var ok = await temp.Store.InsertAsync([good], CancellationToken.None);
        Assert.Single(ok.Accepted);
    }

    [Fact]
    public async Task InsertAsync_EmptyList_AcceptsNothing()
    {
        await using var temp = await TempStore.CreateAsync();

        var result = await temp.Store.InsertAsync([], CancellationToken.None);

        Assert.Empty(result.Accepted);
        Assert.Equal(0, result.Duplicates);
    }

    internal static SpendQuery AllTime() => new() { From = DateTimeOffset.UnixEpoch, To = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero) };
}
