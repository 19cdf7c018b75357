using System.Text.Json;
using Dapper;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;

namespace LlmMeter.Collector.Budgets;

/// <summary>What a budget write did.</summary>
internal enum BudgetWriteOutcome
{
    Created,
    Replaced,
    Deleted,

    /// <summary>POST of an id that exists.</summary>
    Exists,

    /// <summary>Any write to a budget from configuration.</summary>
    ReadOnly,
    NotFound,
}

/// <summary>
/// Budget definitions in the <c>budgets</c> table and their ledger rows, written through the store's single writer,
/// in its transaction, so a budget change and the ingest around it are ordered: every record is either seen by the
/// definition-time scan or charged after it, never both, never neither.
/// </summary>
internal sealed class BudgetRepository(ICallStore store, BudgetLedger ledger, TimeProvider time, ILogger<BudgetRepository> logger)
{
    public const string ApiSource = "api";
    public const string ConfigSource = "config";

    private SqliteCallStore Store => store as SqliteCallStore
        ?? throw new InvalidOperationException("Budgets need the SQLite store (Store:Provider=sqlite).");

    /// <summary>
    /// At start: seeds the configured budgets (source config; a new or changed one has its current period computed),
    /// drops configured budgets no longer configured, loads the API budgets and the ledger rows of current periods.
    /// </summary>
    public Task LoadAsync(IReadOnlyList<BudgetDefinition> configured, CancellationToken cancellationToken) =>
        Store.WriteAsync(session => Load(session, configured), cancellationToken);

    public Task<BudgetWriteOutcome> CreateAsync(BudgetDefinition budget, CancellationToken cancellationToken) =>
        Store.WriteAsync(session => Save(session, budget, allowReplace: false), cancellationToken);

    public Task<BudgetWriteOutcome> PutAsync(BudgetDefinition budget, CancellationToken cancellationToken) =>
        Store.WriteAsync(session => Save(session, budget, allowReplace: true), cancellationToken);

    public Task<BudgetWriteOutcome> DeleteAsync(string id, CancellationToken cancellationToken) =>
        Store.WriteAsync(session => Delete(session, id), cancellationToken);

    private bool Load(SqliteWriteSession session, IReadOnlyList<BudgetDefinition> configured)
    {
        var now = time.GetUtcNow();
        var rows = session.Connection
            .Query<(string Id, string Source, string Json)>("SELECT id, source, definition_json FROM budgets", transaction: session.Transaction)
            .ToDictionary(r => r.Id, StringComparer.Ordinal);
        var budgets = new Dictionary<string, CompiledBudget>(StringComparer.Ordinal);
        foreach (var definition in configured)
        {
            var budget = new CompiledBudget(definition);
            var json = BudgetJson.Definition(definition);
            var stored = rows.TryGetValue(definition.Id, out var row) ? Read(row.Id, row.Json, row.Source) : null;
            if (stored is not null && row.Source == ApiSource)
            {
                logger.LogWarning("Budget {Id} is configured and was also created through the API: the configuration wins", definition.Id);
            }

            if (row.Json != json || row.Source != ConfigSource)
            {
                Upsert(session, definition.Id, ConfigSource, json, now);
            }

            if (stored is null || !budget.ChargesLike(new CompiledBudget(stored)))
            {
                Recompute(session, budget, now);
            }

            budgets[definition.Id] = budget;
        }

        foreach (var (id, row) in rows)
        {
            if (budgets.ContainsKey(id))
            {
                continue;
            }

            if (row.Source == ConfigSource)
            {
                logger.LogInformation("Budget {Id} is no longer configured: removed with its spend", id);
                DeleteRows(session, id);
            }
            else if (Read(id, row.Json, row.Source) is { } definition)
            {
                budgets[id] = new CompiledBudget(definition);
            }
        }

        var oldest = budgets.Values.Select(b => b.Period(now).Start.ToUnixTimeMilliseconds()).DefaultIfEmpty(0).Min();
        var spent = session.Connection
            .Query<(string BudgetId, long PeriodStartMs, long Low, long High)>(
                "SELECT budget_id, period_start_ms, spent_units, spent_units_high FROM budget_spend WHERE period_start_ms >= @oldest",
                new { oldest },
                session.Transaction)
            .ToDictionary(r => new SpendKey(r.BudgetId, r.PeriodStartMs), r => WideSum.Combine(r.High, r.Low));
        ledger.StageLoaded(spent);
        ledger.Stage([.. budgets.Values]);
        return true;
    }

    private BudgetWriteOutcome Save(SqliteWriteSession session, BudgetDefinition definition, bool allowReplace)
    {
        var budgets = ledger.WriterBudgets;
        var existing = budgets.FirstOrDefault(b => b.Id == definition.Id);
        if (existing?.Definition.Source == ConfigSource)
        {
            return BudgetWriteOutcome.ReadOnly;
        }

        if (existing is not null && !allowReplace)
        {
            return BudgetWriteOutcome.Exists;
        }

        var now = time.GetUtcNow();
        var budget = new CompiledBudget(definition with { Source = ApiSource });
        Upsert(session, definition.Id, ApiSource, BudgetJson.Definition(budget.Definition), now);
        if (existing is null || !budget.ChargesLike(existing))
        {
            Recompute(session, budget, now);
        }

        ledger.Stage([.. budgets.Where(b => b.Id != definition.Id), budget]);
        return existing is null ? BudgetWriteOutcome.Created : BudgetWriteOutcome.Replaced;
    }

    private BudgetWriteOutcome Delete(SqliteWriteSession session, string id)
    {
        var budgets = ledger.WriterBudgets;
        var existing = budgets.FirstOrDefault(b => b.Id == id);
        if (existing is null)
        {
            return BudgetWriteOutcome.NotFound;
        }

        if (existing.Definition.Source == ConfigSource)
        {
            return BudgetWriteOutcome.ReadOnly;
        }

        DeleteRows(session, id);
        ledger.Stage([.. budgets.Where(b => b.Id != id)]);
        return BudgetWriteOutcome.Deleted;
    }

    /// <summary>
    /// The only scan of stored calls, at definition time: when a budget is created, or its scope, period or time
    /// zone change (at start for configured budgets), its spend in the current period is computed once from the
    /// calls of that period (one range query on the <c>started_at</c> index; scope matched here, as at ingest) and
    /// stored in the ledger; rows of other periods are dropped. It runs in the writer's transaction: records stored
    /// earlier in that transaction are in the scan, and the ones after it are charged to the new definition. From
    /// then on the ledger only moves with ingest and reconciliation.
    /// </summary>
    private void Recompute(SqliteWriteSession session, CompiledBudget budget, DateTimeOffset now)
    {
        var (start, end) = budget.Period(now);
        var recentFrom = (now - BudgetLedger.RateWindow).ToUnixTimeMilliseconds();
        var scope = budget.Scope;
        using var command = session.Connection.CreateCommand();
        command.Transaction = session.Transaction;
        command.CommandText =
            "SELECT started_at_ms, app, team, model, provider, cost_units"
            + (scope.NeedsTags ? ", json_extract(record_json, '$.tags')" : string.Empty)
            + " FROM calls WHERE started_at_ms >= $from AND started_at_ms < $to AND cost_units IS NOT NULL AND cost_units <> 0";
        command.Parameters.AddWithValue("$from", start.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$to", end.ToUnixTimeMilliseconds());
        Int128 total = 0; // each call at most StoreLimits.MaxCostUsd, any number of them
        var minutes = new SpendMinutes();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (!scope.MatchesColumns(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
                    || (scope.NeedsTags && !scope.MatchesTags(Tags(reader.IsDBNull(6) ? null : reader.GetString(6)))))
                {
                    continue;
                }

                var units = reader.GetInt64(5);
                total += units;
                var startedAtMs = reader.GetInt64(0);
                if (startedAtMs >= recentFrom)
                {
                    minutes.Add(startedAtMs, units);
                }
            }
        }

        session.DeleteSpend(budget.Id);
        session.SetSpend(new SpendKey(budget.Id, start.ToUnixTimeMilliseconds()), total);
        ledger.StageMinutes(budget.Id, minutes);
    }

    private static Dictionary<string, string>? Tags(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String)
            {
                tags[property.Name] = property.Value.GetString()!;
            }
        }

        return tags;
    }

    private static void Upsert(SqliteWriteSession session, string id, string source, string json, DateTimeOffset now) =>
        session.Connection.Execute(
            """
            INSERT INTO budgets (id, source, definition_json, updated_at_ms) VALUES (@id, @source, @json, @at)
            ON CONFLICT (id) DO UPDATE SET source = excluded.source, definition_json = excluded.definition_json, updated_at_ms = excluded.updated_at_ms
            """,
            new { id, source, json, at = now.ToUnixTimeMilliseconds() },
            session.Transaction);

    private static void DeleteRows(SqliteWriteSession session, string id)
    {
        session.Connection.Execute("DELETE FROM budgets WHERE id = @id", new { id }, session.Transaction);
        session.DeleteSpend(id);
    }

    private BudgetDefinition? Read(string id, string json, string source)
    {
        using var document = JsonDocument.Parse(json);
        if (BudgetParser.TryParse(document.RootElement, routeId: null, source, lenient: false, out var budget, out var error))
        {
            return budget;
        }

        logger.LogError("Stored budget {Id} is no longer valid ({Field}: {Message}); it is ignored", id, error!.Field, error.Message);
        return null;
    }
}
