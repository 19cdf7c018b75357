using Dapper;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Tests.Store;

public sealed class SqliteSpendRollupTests
{
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task QuerySpendAsync_30DaysOfRollupsFor10MillionRecords_ExactPartialDayEdges()
    {
        await using var temp = await TempStore.CreateAsync();
        // The rollups 10 million records leave behind: 31 days × 24 hours × 300 active (app, team, model, provider)
        // combinations, 45 requests each. Seeded directly: inserting 10M records would take minutes.
        var requests = Seed(temp, hours: 744, combinations: 300, requestsPerRow: 45);
        Assert.True(requests >= 10_000_000);
        // "The last 30 days" from a time within an hour: partial days at both ends.
        var from = Start.AddHours(5).AddMinutes(10);
        var query = new SpendQuery { From = from, To = from.AddDays(30), GroupBy = [SpendDimension.Model, SpendDimension.Team] };
        // Speed is the benchmark's job (docs/benchmarks.md, collector-spend); this checks the daily/hourly stitching.
        var rows = await temp.Store.QuerySpendAsync(query, CancellationToken.None);

        Assert.Equal(721 * 300 * 45, rows.Sum(r => r.Requests)); // 05:00 on the first day to 05:00 on the last, both counted
        Assert.Equal(25 * 12, rows.Count);
    }

    [Fact]
    public async Task QuerySpendAsync_QueryPlan_RangesOnTheRollupPrimaryKeysOnly()
    {
        await using var temp = await TempStore.CreateAsync();
        using var connection = temp.Connect();
        var from = Start.AddHours(5).AddMinutes(10);
        var query = new SpendQuery { From = from, To = from.AddDays(30), GroupBy = [SpendDimension.Model, SpendDimension.Team], App = "a" };
        using var command = SqliteSpendQueries.CreateCommand(connection, query);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;

        var plans = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plans.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plans, d => d.Contains("SEARCH spend_daily USING PRIMARY KEY (day_ms>? AND day_ms<?)", StringComparison.Ordinal));
        Assert.Equal(2, plans.Count(d => d.Contains("SEARCH spend_hourly USING PRIMARY KEY (hour_ms>? AND hour_ms<?)", StringComparison.Ordinal)));
        Assert.DoesNotContain(plans, d => d.Contains("calls", StringComparison.Ordinal) || d.StartsWith("SCAN spend", StringComparison.Ordinal));
    }

    private static long Seed(TempStore temp, int hours, int combinations, int requestsPerRow)
    {
        using var connection = temp.Connect();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO spend_hourly (hour_ms, app, team, model, provider, cost_units, requests, input_tokens, output_tokens,
                                      cached_input_tokens, reasoning_tokens, fallbacks, errors)
            VALUES ($hour, $app, $team, $model, $provider, $cost, $requests, $requests * 900, $requests * 250, 0, 0, 1, 2)
            """;
        var parameters = new[] { "$hour", "$app", "$team", "$model", "$provider", "$cost", "$requests" }
            .Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        insert.Prepare();
        long total = 0;
        for (var h = 0; h < hours; h++)
        {
            for (var c = 0; c < combinations; c++)
            {
                parameters[0].Value = Start.AddHours(h).ToUnixTimeMilliseconds();
                parameters[1].Value = $"app-{c % 4}";
                parameters[2].Value = $"team-{c % 12}";
                parameters[3].Value = $"vendor/model-{c % 25}";
                parameters[4].Value = $"provider-{c % 3}";
                parameters[5].Value = 12_345_678L + c;
                parameters[6].Value = requestsPerRow;
                insert.ExecuteNonQuery();
                total += requestsPerRow;
            }
        }

        connection.Execute(
            """
            INSERT INTO spend_daily (day_ms, app, team, model, provider, cost_units, requests, input_tokens, output_tokens,
                                     cached_input_tokens, reasoning_tokens, fallbacks, errors)
            SELECT hour_ms - hour_ms % 86400000, app, team, model, provider, SUM(cost_units), SUM(requests), SUM(input_tokens),
                   SUM(output_tokens), SUM(cached_input_tokens), SUM(reasoning_tokens), SUM(fallbacks), SUM(errors)
            FROM spend_hourly GROUP BY 1, 2, 3, 4, 5
            """,
            transaction: transaction);
        transaction.Commit();
        return total;
    }
}
