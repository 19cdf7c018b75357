using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// Rebuilds <c>spend_hourly</c> and <c>spend_daily</c> from the calls, with the writer's own sums
/// (<see cref="RollupUpsert"/>): the calls are the source of the rollups (reconciliation updates both). Reads the calls
/// in time order through the time index, so only one day of combinations is held at a time and nothing is sorted.
/// Runs inside the migration's transaction.
/// </summary>
internal static class SqliteRollupRebuild
{
    public static void Run(SqliteConnection connection, SqliteTransaction transaction)
    {
        using (var clear = connection.CreateCommand())
        {
            clear.Transaction = transaction;
            clear.CommandText = "DELETE FROM spend_hourly; DELETE FROM spend_daily;";
            clear.ExecuteNonQuery();
        }

        using var hourly = new RollupUpsert(connection, "spend_hourly", "hour_ms") { Transaction = transaction };
        using var daily = new RollupUpsert(connection, "spend_daily", "day_ms") { Transaction = transaction };
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        // Token counts live in the record's JSON only; they were read as 64-bit integers at ingest.
        read.CommandText = """
            SELECT started_at_ms, app, team, model, provider, cost_units, outcome,
                   CAST(json_extract(record_json, '$.input_tokens') AS INTEGER),
                   CAST(json_extract(record_json, '$.output_tokens') AS INTEGER),
                   CAST(json_extract(record_json, '$.cached_input_tokens') AS INTEGER),
                   CAST(json_extract(record_json, '$.reasoning_tokens') AS INTEGER),
                   json_extract(record_json, '$.fallback_used')
            FROM calls ORDER BY started_at_ms DESC, id DESC
            """;
        using var reader = read.ExecuteReader();
        long? day = null;
        while (reader.Read())
        {
            var startedAtMs = reader.GetInt64(0);
            var dayMs = StoreText.DayStart(startedAtMs);
            if (day != dayMs)
            {
                // Newest first (the index's order): a day's rows are complete once an older day starts.
                hourly.Flush();
                daily.Flush();
                day = dayMs;
            }

            var sums = new RollupSums(
                reader.IsDBNull(5) ? 0 : reader.GetInt64(5),
                Long(reader, 7),
                Long(reader, 8),
                Long(reader, 9),
                Long(reader, 10),
                Fallback: Long(reader, 11) != 0,
                Error: reader.GetString(6) != StoreText.Outcome(LlmCallOutcome.Success));
            var (app, team, model, provider) = (reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
            hourly.Add(new RollupKey(StoreText.HourStart(startedAtMs), app, team, model, provider), sums);
            daily.Add(new RollupKey(dayMs, app, team, model, provider), sums);
        }

        hourly.Flush();
        daily.Flush();
    }

    private static long Long(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? 0 : reader.GetInt64(ordinal);
}
