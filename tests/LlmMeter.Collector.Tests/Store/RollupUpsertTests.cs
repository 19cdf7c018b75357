using Dapper;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Store;

/// <summary>Rollup sums at and past the 64-bit limits: exact, never wrapped, never REAL, never a failing query.</summary>
public sealed class RollupUpsertTests
{
    private const long Max = long.MaxValue;
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task InsertAsync_TwoRecordsOfMaxOutputTokensInOneRequest_TotalIsExact()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = new[] { Tokens(Max), Tokens(Max) };

        await temp.Store.InsertAsync(records, CancellationToken.None);

        var total = Assert.Single(await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime(), CancellationToken.None));
        Assert.Equal((Int128)Max * 2, total.OutputTokens);
        Assert.Equal(2, total.Requests);
        AssertAllSumsInteger(temp);
    }

    [Fact]
    public async Task InsertAsync_MaxTokensOfEveryKindAcrossRequests_EveryTotalExactOnEveryPath()
    {
        await using var temp = await TempStore.CreateAsync();
        // Values either side of the 2^62 carry and at 2^63 - 1, one record per request (the SQL carry) and several per
        // request (the C# batch sum), in one hour and one day, plus a second day so the query stitches days and hours.
        long[] values = [Max, Max, (1L << 62) - 1, 1L << 62, 1, Max - 1, (1L << 62) + 1];
        LlmCallRecord[] records =
        [
            .. values.Select((v, i) => Records.Call(startedAt: T0.AddMinutes(i)) with
            {
                InputTokens = v,
                OutputTokens = Max - i,
                CachedInputTokens = v,
                ReasoningTokens = v / 2,
            }),
            Records.Call(startedAt: T0.AddDays(1)) with { InputTokens = Max, OutputTokens = Max, CachedInputTokens = Max, ReasoningTokens = Max },
        ];
        await temp.Store.InsertAsync(records[..3], CancellationToken.None);
        foreach (var record in records[3..])
        {
            await temp.Store.InsertAsync([record], CancellationToken.None);
        }

        // Whole days (daily rollup), partial days (hourly rollup) and hours.
        var queries = new[]
        {
            SqliteCallStoreInsertTests.AllTime(),
            new SpendQuery { From = T0.AddMinutes(-5), To = T0.AddDays(1).AddHours(1) },
            new SpendQuery { From = DateTimeOffset.UnixEpoch, To = T0.AddYears(1), GroupBy = [SpendDimension.Day] },
            new SpendQuery { From = DateTimeOffset.UnixEpoch, To = T0.AddYears(1), GroupBy = [SpendDimension.Hour, SpendDimension.Model] },
        };
        foreach (var query in queries)
        {
            var rows = await temp.Store.QuerySpendAsync(query, CancellationToken.None);
            Assert.Equal(Sum(records, r => r.InputTokens), Sum(rows, r => r.InputTokens));
            Assert.Equal(Sum(records, r => r.OutputTokens), Sum(rows, r => r.OutputTokens));
            Assert.Equal(Sum(records, r => r.CachedInputTokens), Sum(rows, r => r.CachedInputTokens));
            Assert.Equal(Sum(records, r => r.ReasoningTokens), Sum(rows, r => r.ReasoningTokens));
            Assert.Equal(records.Length, rows.Sum(r => r.Requests));
        }

        var byDay = await temp.Store.QuerySpendAsync(queries[2], CancellationToken.None);
        Assert.Equal([Sum(records[..^1], r => r.InputTokens), Max], byDay.Select(r => r.InputTokens));
        AssertAllSumsInteger(temp);
    }

    [Fact]
    public async Task InsertAsync_1000RecordsOfAMillionDollarsInOneRequestThenAgain_CostExact()
    {
        await using var temp = await TempStore.CreateAsync();
        var batch = Enumerable.Range(0, 1000).Select(i => Records.Call(startedAt: T0.AddSeconds(i), cost: StoreLimits.MaxCostUsd)).ToArray();

        await temp.Store.InsertAsync(batch, CancellationToken.None);
        await temp.Store.InsertAsync([.. batch.Select(r => r with { Id = r.Id + "-again" })], CancellationToken.None);

        var total = Assert.Single(await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime(), CancellationToken.None));
        Assert.Equal(2_000_000_000m, total.CostUsd); // 2e19 units: past 64 bits
        var byTeam = Assert.Single(await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime() with { GroupBy = [SpendDimension.Team] }, CancellationToken.None));
        Assert.Equal(2_000_000_000m, byTeam.CostUsd);
        AssertAllSumsInteger(temp);
    }

    [Fact]
    public async Task SetReconciledCostAsync_RowPastTheCarry_NegativeDifferenceExact()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Enumerable.Range(0, 1000)
            .Select(i => Records.Call(startedAt: T0.AddSeconds(i), cost: StoreLimits.MaxCostUsd) with { CostSource = LlmCostSource.Estimated })
            .ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        // 1e19 units sit in the hour's row, past 2^62: taking 999,999.5 USD away borrows from the high part.
        await temp.Store.SetReconciledCostAsync(records[0].Id, 0.5m, CancellationToken.None);
        await temp.Store.SetReconciledCostAsync(records[1].Id, 0m, CancellationToken.None);

        var total = Assert.Single(await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime(), CancellationToken.None));
        Assert.Equal((998 * StoreLimits.MaxCostUsd) + 0.5m, total.CostUsd);
        var byHour = Assert.Single(await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime() with { GroupBy = [SpendDimension.Hour] }, CancellationToken.None));
        Assert.Equal(total.CostUsd, byHour.CostUsd);
        AssertAllSumsInteger(temp);
    }

    [Fact]
    public async Task QuerySpendAsync_GroupsPastThe64BitLimit_OrderedByExactCost()
    {
        await using var temp = await TempStore.CreateAsync();
        // "big" holds 1,000 × $1M (past 64 bits as units), "small" $1M: a 64-bit or REAL order would misplace them.
        await temp.Store.InsertAsync([.. Enumerable.Range(0, 1000).Select(i => Records.Call(startedAt: T0.AddSeconds(i), model: "vendor/big", cost: StoreLimits.MaxCostUsd))], CancellationToken.None);
        await temp.Store.InsertAsync([Records.Call(model: "vendor/small", cost: StoreLimits.MaxCostUsd), Records.Call(model: "vendor/zero", cost: 0m)], CancellationToken.None);

        var rows = await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime() with { GroupBy = [SpendDimension.Model] }, CancellationToken.None);

        Assert.Equal(["vendor/big", "vendor/small", "vendor/zero"], rows.Select(r => r.Model));
        Assert.Equal([1_000_000_000m, 1_000_000m, 0m], rows.Select(r => r.CostUsd));
    }

    /// <summary>Every stored sum column of the rollups and the ledger holds an INTEGER in every row.</summary>
    internal static void AssertAllSumsInteger(TempStore temp)
    {
        using var connection = temp.Connect();
        var checks = new[] { "spend_hourly", "spend_daily" }
            .SelectMany(table => RollupTotals.WideColumns.SelectMany(c => new[] { c, WideSum.High(c) }).Concat(RollupTotals.CountColumns).Select(c => (table, c)))
            .Append(("budget_spend", "spent_units"))
            .Append(("budget_spend", "spent_units_high"));
        foreach (var (table, column) in checks)
        {
            var notInteger = connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM {table} WHERE typeof({column}) <> 'integer'");
            Assert.True(notInteger == 0, $"{table}.{column}: {notInteger} rows not integer");
        }
    }

    private static LlmCallRecord Tokens(long output) => Records.Call(startedAt: T0) with { OutputTokens = output };

    private static Int128 Sum<T>(IEnumerable<T> items, Func<T, long?> value) => items.Aggregate(Int128.Zero, (s, i) => s + (value(i) ?? 0));

    private static Int128 Sum(IEnumerable<SpendRow> rows, Func<SpendRow, Int128> value) => rows.Aggregate(Int128.Zero, (s, r) => s + value(r));
}
