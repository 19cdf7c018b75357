using System.Text;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// One rollup table (<c>spend_hourly</c> or <c>spend_daily</c>) as the writer maintains it: the batch's sums per row,
/// accumulated in C# (<see cref="RollupTotals"/>), then one prepared upsert per row that adds them, the wide columns
/// with their carry (<see cref="WideSum"/>), so no column ever overflows or turns REAL.
/// </summary>
internal sealed class RollupUpsert : IDisposable
{
    private const int KeyColumns = 5;

    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _move;
    private readonly Dictionary<RollupKey, RollupTotals> _pending = [];

    public RollupUpsert(SqliteConnection connection, string table, string startColumn)
    {
        _upsert = Prepare(connection, UpsertSql(table, startColumn), KeyColumns + (2 * RollupTotals.WideColumns.Length) + RollupTotals.CountColumns.Length);
        _move = Prepare(
            connection,
            $"""
            UPDATE {table} SET {WideSum.AddSql("cost_units", "$p5", "$p6")}
            WHERE {startColumn} = $p0 AND app = $p1 AND team = $p2 AND model = $p3 AND provider = $p4
            """,
            KeyColumns + 2);
    }

    public SqliteTransaction? Transaction
    {
        set
        {
            _upsert.Transaction = value;
            _move.Transaction = value;
        }
    }

    /// <summary>Adds a newly stored record to its row's pending sums.</summary>
    public void Add(RollupKey key, in RollupSums call)
    {
        if (!_pending.TryGetValue(key, out var totals))
        {
            totals = new RollupTotals();
            _pending.Add(key, totals);
        }

        totals.Add(call);
    }

    /// <summary>Writes the pending sums, one upsert per row.</summary>
    public void Flush()
    {
        var p = _upsert.Parameters;
        foreach (var (key, totals) in _pending)
        {
            SetKey(p, key);
            var i = KeyColumns;
            for (var w = 0; w < RollupTotals.WideColumns.Length; w++)
            {
                var value = totals.Wide(w);
                p[i++].Value = WideSum.Low(value);
                p[i++].Value = WideSum.HighOf(value);
            }

            for (var c = 0; c < RollupTotals.CountColumns.Length; c++)
            {
                p[i++].Value = totals.Count(c);
            }

            _upsert.ExecuteNonQuery();
        }

        _pending.Clear();
    }

    /// <summary>Moves an existing row's cost by <paramref name="units"/> (a reconciled cost's difference, maybe negative).</summary>
    public void MoveCost(RollupKey key, long units)
    {
        var p = _move.Parameters;
        SetKey(p, key);
        p[KeyColumns].Value = WideSum.Low(units);
        p[KeyColumns + 1].Value = WideSum.HighOf(units);
        _move.ExecuteNonQuery();
    }

    /// <summary>Forgets the pending sums (the transaction rolled back).</summary>
    public void Clear() => _pending.Clear();

    public void Dispose()
    {
        _upsert.Dispose();
        _move.Dispose();
    }

    private static void SetKey(SqliteParameterCollection p, RollupKey key)
    {
        p[0].Value = key.StartMs;
        p[1].Value = key.App;
        p[2].Value = key.Team;
        p[3].Value = key.Model;
        p[4].Value = key.Provider;
    }

    // Parameters are positional ($p0...): the key, then each wide column's low and high, then the counts.
    private static string UpsertSql(string table, string startColumn)
    {
        var columns = new List<string> { startColumn, "app", "team", "model", "provider" };
        var set = new List<string>();
        foreach (var wide in RollupTotals.WideColumns)
        {
            columns.Add(wide);
            columns.Add(WideSum.High(wide));
            set.Add(WideSum.AddSql(wide, "excluded." + wide, "excluded." + WideSum.High(wide)));
        }

        foreach (var count in RollupTotals.CountColumns)
        {
            columns.Add(count);
            set.Add($"{count} = {count} + excluded.{count}"); // +1 a record: 64 bits cannot overflow
        }

        return new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES (")
            .AppendJoin(", ", columns.Select((_, i) => "$p" + i)).Append(") ON CONFLICT (").AppendJoin(", ", columns.Take(KeyColumns))
            .Append(") DO UPDATE SET ").AppendJoin(", ", set).ToString();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters; i++)
        {
            // $p1 to $p4 are the key's names (app, team, model, provider); everything else is an integer.
            command.Parameters.Add(new SqliteParameter("$p" + i, i is >= 1 and < KeyColumns ? SqliteType.Text : SqliteType.Integer));
        }

        command.Prepare();
        return command;
    }
}
