using Dapper;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Tests.Store;

/// <summary>Migration 005 on a file written by the old schema (001 to 004): exact sums from then on, the same answers as a new store.</summary>
public sealed class SqliteRollupRebuildTests
{
    private const long Max = long.MaxValue;
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task Migrate_OldSchemaWithWrappedAndRealSums_SameAnswersAsANewStore()
    {
        var records = Dataset();
        await using var migrated = await TempStore.CreateAsync(connection => WriteOldSchema(connection, records));
        await using var fresh = await TempStore.CreateAsync();
        await fresh.Store.InsertAsync(records, CancellationToken.None);

        var all = SqliteCallStoreInsertTests.AllTime();
        foreach (var query in new[]
        {
            all,
            all with { GroupBy = [SpendDimension.Day, SpendDimension.Model] },
            all with { GroupBy = [SpendDimension.Hour, SpendDimension.Team, SpendDimension.App, SpendDimension.Provider] },
            new SpendQuery { From = T0.AddMinutes(30), To = T0.AddDays(2).AddHours(3), GroupBy = [SpendDimension.Model] },
        })
        {
            var expected = await fresh.Store.QuerySpendAsync(query, CancellationToken.None);
            Assert.Equal(expected, await migrated.Store.QuerySpendAsync(query, CancellationToken.None));
        }

        var total = Assert.Single(await migrated.Store.QuerySpendAsync(all, CancellationToken.None));
        Assert.Equal((Int128)Max * 2 + 300 * (records.Length - 2), total.OutputTokens);
        Assert.Equal(records.Sum(r => r.CostUsd ?? 0m), total.CostUsd);
        Assert.Equal(5, migrated.Scalar("SELECT MAX(version) FROM schema_migrations"));
        RollupUpsertTests.AssertAllSumsInteger(migrated);
        // The migrated store goes on summing exactly.
        await migrated.Store.InsertAsync([Records.Call(startedAt: T0) with { OutputTokens = Max }], CancellationToken.None);
        Assert.Equal(total.OutputTokens + Max, Assert.Single(await migrated.Store.QuerySpendAsync(all, CancellationToken.None)).OutputTokens);
    }

    [Fact]
    public async Task Migrate_OldLedgerRows_SplitIntoExactPairs()
    {
        await using var migrated = await TempStore.CreateAsync(connection =>
        {
            WriteOldSchema(connection, []);
            // 10^19 is exactly representable as a REAL: an old ledger row whose SQL sum had overflowed.
            connection.Execute("""
                INSERT INTO budget_spend VALUES ('small', 0, 123), ('max', 0, 9223372036854775807), ('real', 0, 1.0e19), ('past-carry', 0, 4611686018427387905)
                """);
        });

        using var connection = migrated.Connect();
        var rows = connection.Query<(string Id, long Low, long High)>("SELECT budget_id, spent_units, spent_units_high FROM budget_spend")
            .ToDictionary(r => r.Id, r => WideSum.Combine(r.High, r.Low));

        Assert.Equal(123, rows["small"]);
        Assert.Equal(Max, rows["max"]);
        Assert.Equal(Int128.Parse("10000000000000000000", System.Globalization.CultureInfo.InvariantCulture), rows["real"]);
        Assert.Equal((1L << 62) + 1, rows["past-carry"]);
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT spent_units FROM budget_spend WHERE budget_id = 'past-carry'"));
        RollupUpsertTests.AssertAllSumsInteger(migrated);
    }

    /// <summary>Records over three days: two of 2^63 - 1 output tokens in one hour, costs large enough to overflow a 64-bit SQL sum.</summary>
    private static LlmCallRecord[] Dataset() =>
    [
        Records.Call(startedAt: T0) with { OutputTokens = Max },
        Records.Call(startedAt: T0.AddMinutes(1)) with { OutputTokens = Max },
        .. Enumerable.Range(0, 1000).Select(i => Records.Call(startedAt: T0.AddMinutes(2 + (i % 50)), model: "vendor/big", cost: StoreLimits.MaxCostUsd)),
        .. Enumerable.Range(0, 60).Select(i => Records.Call(
            startedAt: T0.AddHours(i), team: $"team-{i % 3}", provider: $"p{i % 2}", cost: 0.001m * i,
            outcome: i % 7 == 0 ? LlmCallOutcome.HttpError : LlmCallOutcome.Success, fallback: i % 5 == 0)),
    ];

    /// <summary>The schema of migrations 001 to 004 with the calls, and rollups as the old store could leave them: wrapped and REAL.</summary>
    private static void WriteOldSchema(SqliteConnection connection, LlmCallRecord[] records)
    {
        connection.Execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at_ms INTEGER NOT NULL);");
        foreach (var migration in SqliteMigrator.All.Where(m => m.Version <= 4))
        {
            connection.Execute(migration.Sql);
            connection.Execute("INSERT INTO schema_migrations VALUES (@Version, 0)", new { migration.Version });
        }

        foreach (var call in records.Select(r => StoredCall.From(r)))
        {
            connection.Execute(
                """
                INSERT INTO calls VALUES (@Id, @StartedAtMs, @App, @Team, @Model, @RequestedModel, @ServedModel, @Provider, @Outcome,
                                          @CostText, @CostUnits, @CostSource, @State, @Json)
                """,
                new
                {
                    call.Id, call.StartedAtMs, call.Record.App, call.Team, call.Model, call.Record.RequestedModel, call.Record.ServedModel,
                    call.Provider, call.Outcome, call.CostText, call.CostUnits, call.CostSource, State = (long)call.ReconcileState, call.Json,
                });
        }

        // Old rollups: per row sums with 64-bit wrap-around (the old batch sums) and a REAL (the old SQL +), one row per
        // hour and day, left as the old store would have.
        foreach (var (table, start, width) in new[] { ("spend_hourly", "hour_ms", 3_600_000L), ("spend_daily", "day_ms", 86_400_000L) })
        {
            foreach (var group in records.GroupBy(r => (Start: r.StartedAt.ToUnixTimeMilliseconds() / width * width, StoredCall.From(r).Team, r.App, Model: r.ServedModel ?? "", Provider: r.Provider ?? "")))
            {
                var output = unchecked(group.Aggregate(0L, (s, r) => s + (r.OutputTokens ?? 0)));
                var cost = group.Sum(r => (double)(r.CostUsd ?? 0m) * 1e10);
                connection.Execute(
                    $"INSERT INTO {table} VALUES (@Start, @App, @Team, @Model, @Provider, @Cost, @Requests, 1, @Output, 2, 3, 0, 0)",
                    new { group.Key.Start, group.Key.App, group.Key.Team, group.Key.Model, group.Key.Provider, Cost = cost > 9e18 ? (object)cost : (long)cost, Requests = group.Count(), Output = output });
            }
        }
    }
}
