using System.Runtime.CompilerServices;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>Reads of raw records: keyset pages, the streamed export, one record, reconciliation candidates.</summary>
internal static class SqliteCallQueries
{
    public const int MaxPageSize = 1_000;

    /// <summary>Newest first; fetches one row more than the page to know whether a next page exists.</summary>
    public static async Task<CallPage> QueryPageAsync(SqliteConnection connection, CallQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        await using var command = BuildCallsCommand(connection, query, limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var calls = new List<LlmCallRecord>(Math.Min(limit, 128));
        CallCursor? last = null;
        var more = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (calls.Count == limit)
            {
                more = true;
                break;
            }

            last = new CallCursor(reader.GetInt64(0), reader.GetString(1));
            calls.Add(ReadRecord(reader.GetString(2), last.Id));
        }

        return new CallPage(calls, more ? last!.Encode() : null);
    }

    /// <summary>Every matching record, newest first, yielded as it is read (the export never holds them all).</summary>
    public static async IAsyncEnumerable<LlmCallRecord> StreamAsync(
        SqliteConnection connection, CallQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = BuildCallsCommand(connection, query, take: null);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadRecord(reader.GetString(2), reader.GetString(1));
        }
    }

    public static async Task<LlmCallRecord?> GetAsync(SqliteConnection connection, string id, CancellationToken cancellationToken)
    {
        var json = await connection.ExecuteScalarAsync<string?>(
            new CommandDefinition("SELECT record_json FROM calls WHERE id = @id", new { id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return json is null ? null : ReadRecord(json, id);
    }

    /// <summary>Pending records (estimated or no cost, OpenRouter id, not reconciled nor given up) since <paramref name="sinceMs"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<ReconcileCandidate>> CandidatesAsync(
        SqliteConnection connection, long sinceMs, int limit, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string Id, long StartedAtMs, string CostSource, string? CostUsd)>(
            new CommandDefinition(
                """
                SELECT id, started_at_ms, cost_source, cost_usd FROM calls
                WHERE reconcile_state = 1 AND started_at_ms >= @sinceMs
                ORDER BY started_at_ms, id
                LIMIT @limit
                """,
                new { sinceMs, limit = Math.Max(limit, 0) },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows
            .Select(r => new ReconcileCandidate(
                r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAtMs), StoreText.ParseCostSource(r.CostSource), StoreText.ParseCost(r.CostUsd)))
            .ToArray();
    }

    private static SqliteCommand BuildCallsCommand(SqliteConnection connection, CallQuery query, int? take)
    {
        var command = connection.CreateCommand();
        var conditions = new List<string>();
        void Add(string condition, string name, object value)
        {
            conditions.Add(condition);
            command.Parameters.AddWithValue(name, value);
        }

        if (query.From is { } from)
        {
            Add("started_at_ms >= $from", "$from", from.ToUnixTimeMilliseconds());
        }

        if (query.To is { } to)
        {
            Add("started_at_ms < $to", "$to", to.ToUnixTimeMilliseconds());
        }

        if (query.Team is not null)
        {
            Add("team = $team", "$team", query.Team);
        }

        if (query.App is not null)
        {
            Add("app = $app", "$app", query.App);
        }

        if (query.Provider is not null)
        {
            Add("provider = $provider", "$provider", query.Provider);
        }

        if (query.Outcome is { } outcome)
        {
            Add("outcome = $outcome", "$outcome", StoreText.Outcome(outcome));
        }

        if (query.Cursor is { } cursor)
        {
            Add("(started_at_ms, id) < ($cursor_ms, $cursor_id)", "$cursor_ms", cursor.StartedAtMs);
            command.Parameters.AddWithValue("$cursor_id", cursor.Id);
        }

        if (query.Model is not null)
        {
            // The model that served, else the requested one: the same model the spend rollups group by.
            Add("model = $model", "$model", query.Model);
        }

        var sql = new StringBuilder("SELECT started_at_ms, id, record_json FROM calls");
        if (conditions.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        }

        sql.Append(" ORDER BY started_at_ms DESC, id DESC");
        if (take is { } limit)
        {
            sql.Append(" LIMIT $take");
            command.Parameters.AddWithValue("$take", limit);
        }

        command.CommandText = sql.ToString();
        return command;
    }

    /// <summary>The SQL of a page query, to check its plan.</summary>
    internal static SqliteCommand CreatePageCommand(SqliteConnection connection, CallQuery query) =>
        BuildCallsCommand(connection, query, Math.Clamp(query.Limit, 1, MaxPageSize) + 1);

    private static LlmCallRecord ReadRecord(string json, string id) =>
        StoredJson.Read(json, id);
}
