using System.Text;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// Spend from the rollups only, never the records: whole UTC days from <c>spend_daily</c> and the partial days
/// at the edges from <c>spend_hourly</c>, each a range scan on its primary key (time first). So 30 days cost about
/// 30 days + 46 hours × the combinations seen, however many records there are. Cost and token totals are summed
/// exactly (<see cref="WideSum"/>), so the rows come back ordered by cost in C#, not by SQL.
/// </summary>
internal static class SqliteSpendQueries
{
    // Floor to the UTC day, also right for times before 1970.
    private const string DayExpression = "(hour_ms - (((hour_ms % 86400000) + 86400000) % 86400000))";

    // What each arm hands the outer sums: every wide column with its high part, then the counts.
    private static readonly string[] SelectedColumns =
        [.. RollupTotals.WideColumns.SelectMany(c => new[] { c, WideSum.High(c) }), .. RollupTotals.CountColumns];

    private static readonly SpendDimension[] CanonicalOrder =
        [SpendDimension.Day, SpendDimension.Hour, SpendDimension.Model, SpendDimension.Team, SpendDimension.App, SpendDimension.Provider];

    public static async Task<IReadOnlyList<SpendRow>> QueryAsync(SqliteConnection connection, SpendQuery query, CancellationToken cancellationToken)
    {
        var groups = Groups(query);
        await using var command = CreateCommand(connection, query);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(SpendRow Row, Int128 CostUnits)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(Read(reader, groups));
        }

        // Time ascending when grouped by time, then the most expensive first; names break ties (columns not grouped are null).
        return [.. rows
            .OrderBy(r => r.Row.Day)
            .ThenBy(r => r.Row.Hour)
            .ThenByDescending(r => r.CostUnits)
            .ThenBy(r => r.Row.Model, StringComparer.Ordinal)
            .ThenBy(r => r.Row.Team, StringComparer.Ordinal)
            .ThenBy(r => r.Row.App, StringComparer.Ordinal)
            .ThenBy(r => r.Row.Provider, StringComparer.Ordinal)
            .Select(r => r.Row)];
    }

    /// <summary>The query's SQL and parameters (also for checking its plan).</summary>
    public static SqliteCommand CreateCommand(SqliteConnection connection, SpendQuery query)
    {
        var command = connection.CreateCommand();
        command.CommandText = BuildSql(command, query, Groups(query));
        return command;
    }

    private static SpendDimension[] Groups(SpendQuery query) => CanonicalOrder.Where(query.GroupBy.Contains).ToArray();

    private static string BuildSql(SqliteCommand command, SpendQuery query, SpendDimension[] groups)
    {
        // The hours counted: from the start of the hour containing From to the last hour starting before To.
        var firstHour = StoreText.HourStart(query.From.ToUnixTimeMilliseconds());
        var endHour = StoreText.HourStart(query.To.ToUnixTimeMilliseconds() - 1) + StoreText.HourMs;
        var firstDay = StoreText.DayStart(firstHour + StoreText.DayMs - 1);
        var endDay = StoreText.DayStart(endHour);
        var arms = new List<string>();
        if (groups.Contains(SpendDimension.Hour) || firstDay >= endDay)
        {
            arms.Add(Arm(command, query, groups, daily: false, firstHour, endHour));
        }
        else
        {
            arms.Add(Arm(command, query, groups, daily: true, firstDay, endDay));
            if (firstHour < firstDay)
            {
                arms.Add(Arm(command, query, groups, daily: false, firstHour, firstDay));
            }

            if (endDay < endHour)
            {
                arms.Add(Arm(command, query, groups, daily: false, endDay, endHour));
            }
        }

        var sql = new StringBuilder("SELECT ");
        foreach (var group in groups)
        {
            sql.Append(Column(group)).Append(", ");
        }

        sql.AppendJoin(", ", RollupTotals.WideColumns.Select(WideSum.SumSql)).Append(", ")
            .AppendJoin(", ", RollupTotals.CountColumns.Select(c => $"COALESCE(SUM({c}), 0)"))
            .Append(" FROM (").AppendJoin(" UNION ALL ", arms).Append(')');
        if (groups.Length == 0)
        {
            return sql.ToString(); // one total row
        }

        // Ordered in C# (time ascending, the most expensive first, names), where the exact cost is known.
        sql.Append(" GROUP BY ").AppendJoin(", ", groups.Select(Column));
        return sql.ToString();
    }

    /// <summary>One range of one rollup table, filtered, with the grouping columns the outer query needs.</summary>
    private static string Arm(SqliteCommand command, SpendQuery query, SpendDimension[] groups, bool daily, long fromMs, long toMs)
    {
        var startColumn = daily ? "day_ms" : "hour_ms";
        var sql = new StringBuilder("SELECT ");
        foreach (var group in groups)
        {
            sql.Append(group switch
            {
                SpendDimension.Day when !daily => DayExpression + " AS day_ms",
                _ => Column(group),
            }).Append(", ");
        }

        var from = "$from" + command.Parameters.Count;
        var to = "$to" + command.Parameters.Count;
        command.Parameters.AddWithValue(from, fromMs);
        command.Parameters.AddWithValue(to, toMs);
        sql.AppendJoin(", ", SelectedColumns).Append(" FROM ")
            .Append(daily ? "spend_daily" : "spend_hourly")
            .Append(" WHERE ").Append(startColumn).Append(" >= ").Append(from)
            .Append(" AND ").Append(startColumn).Append(" < ").Append(to);
        AddFilter(sql, command, "model", query.Model);
        AddFilter(sql, command, "team", query.Team);
        AddFilter(sql, command, "app", query.App);
        AddFilter(sql, command, "provider", query.Provider);
        return sql.ToString();
    }

    private static void AddFilter(StringBuilder sql, SqliteCommand command, string column, string? value)
    {
        if (value is not null)
        {
            // Every arm refers to the same parameter.
            sql.Append(" AND ").Append(column).Append(" = $").Append(column);
            if (!command.Parameters.Contains("$" + column))
            {
                command.Parameters.AddWithValue("$" + column, value);
            }
        }
    }

    private static string Column(SpendDimension group) => group switch
    {
        SpendDimension.Model => "model",
        SpendDimension.Team => "team",
        SpendDimension.App => "app",
        SpendDimension.Provider => "provider",
        SpendDimension.Day => "day_ms",
        SpendDimension.Hour => "hour_ms",
        _ => throw new ArgumentOutOfRangeException(nameof(group), group, "Unknown spend dimension."),
    };

    private static (SpendRow Row, Int128 CostUnits) Read(SqliteDataReader reader, SpendDimension[] groups)
    {
        string? model = null, team = null, app = null, provider = null;
        DateTimeOffset? day = null, hour = null;
        for (var i = 0; i < groups.Length; i++)
        {
            switch (groups[i])
            {
                case SpendDimension.Day: day = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(i)); break;
                case SpendDimension.Hour: hour = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(i)); break;
                case SpendDimension.Model: model = NullIfEmpty(reader.GetString(i)); break;
                case SpendDimension.Team: team = NullIfEmpty(reader.GetString(i)); break;
                case SpendDimension.App: app = NullIfEmpty(reader.GetString(i)); break;
                case SpendDimension.Provider: provider = NullIfEmpty(reader.GetString(i)); break;
                default: throw new ArgumentOutOfRangeException(nameof(groups), groups[i], "Unknown spend dimension.");
            }
        }

        // The columns of BuildSql: the wide sums (cost, input, output, cached input, reasoning), then the counts.
        var n = groups.Length;
        Int128 Wide(int index) => WideSum.ReadSum(reader, n + (index * WideSum.SumColumns));
        var counts = n + (RollupTotals.WideColumns.Length * WideSum.SumColumns);
        var cost = Wide(0);
        return (new SpendRow
        {
            Model = model,
            Team = team,
            App = app,
            Provider = provider,
            Day = day,
            Hour = hour,
            CostUsd = StoreText.FromUnits(cost),
            InputTokens = Wide(1),
            OutputTokens = Wide(2),
            CachedInputTokens = Wide(3),
            ReasoningTokens = Wide(4),
            Requests = reader.GetInt64(counts),
            Fallbacks = reader.GetInt64(counts + 1),
            Errors = reader.GetInt64(counts + 2),
        }, cost);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
