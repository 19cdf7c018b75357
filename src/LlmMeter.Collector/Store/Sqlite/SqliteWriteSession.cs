using Dapper;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// The writer's connection and its prepared hot-path statements (record insert, hourly and daily rollup upserts, budget ledger
/// upsert), created once and reused for every batch. Used only by the writer loop's single thread of work.
/// </summary>
internal sealed class SqliteWriteSession : IDisposable
{
    private const string InsertSql = """
        INSERT INTO calls (id, started_at_ms, app, team, model, requested_model, served_model, provider, outcome,
                           cost_usd, cost_units, cost_source, reconcile_state, record_json)
        VALUES ($id, $started_at_ms, $app, $team, $model, $requested_model, $served_model, $provider, $outcome,
                $cost_usd, $cost_units, $cost_source, $reconcile_state, $record_json)
        ON CONFLICT (id) DO NOTHING
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly RollupUpsert _hourly;
    private readonly RollupUpsert _daily;
    private readonly ISpendLedger? _ledger;
    private readonly SqliteCommand? _upsertSpend;
    private readonly Dictionary<SpendKey, Int128> _charges = [];
    private readonly Dictionary<SpendKey, Int128> _spendTotals = [];
    private readonly HashSet<string> _clearedBudgets = new(StringComparer.Ordinal);
    private SqliteTransaction? _transaction;

    /// <param name="connection">The open write connection (owned from now on).</param>
    /// <param name="ledger">Budget spend charged in the transactions that accept records; null when there are no budgets.</param>
    public SqliteWriteSession(SqliteConnection connection, ISpendLedger? ledger = null)
    {
        _connection = connection;
        _ledger = ledger;
        _insert = Prepare(InsertSql, [
            ("$id", SqliteType.Text), ("$started_at_ms", SqliteType.Integer), ("$app", SqliteType.Text), ("$team", SqliteType.Text),
            ("$model", SqliteType.Text), ("$requested_model", SqliteType.Text), ("$served_model", SqliteType.Text),
            ("$provider", SqliteType.Text), ("$outcome", SqliteType.Text), ("$cost_usd", SqliteType.Text),
            ("$cost_units", SqliteType.Integer), ("$cost_source", SqliteType.Text), ("$reconcile_state", SqliteType.Integer),
            ("$record_json", SqliteType.Text)]);
        _hourly = new RollupUpsert(connection, "spend_hourly", "hour_ms");
        _daily = new RollupUpsert(connection, "spend_daily", "day_ms");
        if (ledger is not null)
        {
            _upsertSpend = Prepare(
                $"""
                INSERT INTO budget_spend (budget_id, period_start_ms, spent_units, spent_units_high)
                VALUES ($budget_id, $period_start_ms, $units, $units_high)
                ON CONFLICT (budget_id, period_start_ms) DO UPDATE SET {WideSum.AddSql("spent_units", "excluded.spent_units", "excluded.spent_units_high")}
                RETURNING spent_units, spent_units_high
                """,
                [("$budget_id", SqliteType.Text), ("$period_start_ms", SqliteType.Integer), ("$units", SqliteType.Integer), ("$units_high", SqliteType.Integer)]);
        }
    }

    /// <summary>The write connection, for requests that run their own SQL in the open transaction (<see cref="Transaction"/>).</summary>
    public SqliteConnection Connection => _connection;

    /// <summary>The open transaction; only valid while a request is applied.</summary>
    public SqliteTransaction Transaction => _transaction ?? throw new InvalidOperationException("No write transaction is open.");

    /// <summary>Runs the requests in one transaction and commits; rolls back and rethrows on any failure.</summary>
    public void Run(IReadOnlyList<WriteRequest> requests)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        _transaction = transaction;
        _insert.Transaction = transaction;
        _hourly.Transaction = transaction;
        _daily.Transaction = transaction;
        if (_upsertSpend is not null)
        {
            _upsertSpend.Transaction = transaction;
        }

        try
        {
            foreach (var request in requests)
            {
                request.Apply(this);
            }

            FlushRollups();
            FlushLedger();
            transaction.Commit();
        }
        catch
        {
            _hourly.Clear();
            _daily.Clear();
            _charges.Clear();
            _spendTotals.Clear();
            _clearedBudgets.Clear();
            _ledger?.RolledBack();
            try
            {
                transaction.Rollback();
            }
            catch (Exception rollbackError) when (rollbackError is SqliteException or InvalidOperationException)
            {
                // SQLite may already have rolled back on its own (e.g. disk full); the original error matters.
            }

            throw;
        }
        finally
        {
            _transaction = null;
            _insert.Transaction = null;
            _hourly.Transaction = null;
            _daily.Transaction = null;
            if (_upsertSpend is not null)
            {
                _upsertSpend.Transaction = null;
            }
        }

        // Committed: the ledger's in-memory figures follow only what is on disk.
        _ledger?.Committed(_spendTotals, _clearedBudgets);
        _spendTotals.Clear();
        _clearedBudgets.Clear();
    }

    /// <summary>Inserts the record unless its id is stored; true when new (its rollup is then accumulated).</summary>
    public bool Insert(StoredCall call)
    {
        var p = _insert.Parameters;
        p[0].Value = call.Id;
        p[1].Value = call.StartedAtMs;
        p[2].Value = call.Record.App;
        p[3].Value = call.Team;
        p[4].Value = call.Model;
        p[5].Value = (object?)call.Record.RequestedModel ?? DBNull.Value;
        p[6].Value = (object?)call.Record.ServedModel ?? DBNull.Value;
        p[7].Value = call.Provider;
        p[8].Value = call.Outcome;
        p[9].Value = (object?)call.CostText ?? DBNull.Value;
        p[10].Value = (object?)call.CostUnits ?? DBNull.Value;
        p[11].Value = call.CostSource;
        p[12].Value = (long)call.ReconcileState;
        p[13].Value = call.Json;
        if (_insert.ExecuteNonQuery() == 0)
        {
            return false;
        }

        var sums = call.Sums;
        _hourly.Add(call.HourKey, sums);
        _daily.Add(call.DayKey, sums);
        if (_ledger is not null && call.CostUnits is { } units && units != 0)
        {
            _ledger.Charge(call.Record, units, _charges);
        }

        return true;
    }

    /// <summary>Sets the authoritative cost and moves the rollup by the difference; false when unknown or already reconciled.</summary>
    public bool Reconcile(string id, decimal costUsd)
    {
        FlushRollups(); // the record may have been inserted earlier in this batch
        var row = _connection.QuerySingleOrDefault<ReconcileRow>(
            """
            SELECT record_json AS Json, started_at_ms AS StartedAtMs, app AS App, team AS Team, model AS Model,
                   provider AS Provider, cost_units AS CostUnits, cost_source AS CostSource
            FROM calls WHERE id = @id
            """,
            new { id },
            _transaction);
        if (row is null || row.CostSource == StoreText.CostSource(LlmCostSource.Reconciled))
        {
            return false;
        }

        var record = StoredJson.Read(row.Json, id) with { CostUsd = costUsd, CostSource = LlmCostSource.Reconciled };
        var units = StoreText.ToUnits(costUsd, id);
        _connection.Execute(
            """
            UPDATE calls SET cost_usd = @CostText, cost_units = @Units, cost_source = @Source, reconcile_state = @State, record_json = @Json
            WHERE id = @Id
            """,
            new
            {
                Id = id,
                CostText = StoreText.CostText(costUsd),
                Units = units,
                Source = StoreText.CostSource(LlmCostSource.Reconciled),
                State = (long)ReconcileState.Reconciled,
                Json = LlmMeterJson.Serialize(record),
            },
            _transaction);
        // Both costs are within +/-StoreLimits.MaxCostUsd, so the difference fits 64 bits; the rows add it with their carry.
        var difference = units - (row.CostUnits ?? 0);
        _hourly.MoveCost(new RollupKey(StoreText.HourStart(row.StartedAtMs), row.App, row.Team, row.Model, row.Provider), difference);
        _daily.MoveCost(new RollupKey(StoreText.DayStart(row.StartedAtMs), row.App, row.Team, row.Model, row.Provider), difference);
        if (_ledger is not null && difference != 0)
        {
            _ledger.Charge(record, difference, _charges);
        }

        return true;
    }

    /// <summary>Sets a ledger row to <paramref name="units"/> (a budget's spend computed when it is defined), after writing the charges pending so far.</summary>
    public void SetSpend(SpendKey key, Int128 units)
    {
        FlushLedger();
        _connection.Execute(
            """
            INSERT INTO budget_spend (budget_id, period_start_ms, spent_units, spent_units_high) VALUES (@BudgetId, @PeriodStartMs, @Low, @High)
            ON CONFLICT (budget_id, period_start_ms) DO UPDATE SET spent_units = excluded.spent_units, spent_units_high = excluded.spent_units_high
            """,
            new { key.BudgetId, key.PeriodStartMs, Low = WideSum.Low(units), High = WideSum.HighOf(units) },
            Transaction);
        _spendTotals[key] = units;
    }

    /// <summary>Deletes every ledger row of a budget, after writing the charges pending so far.</summary>
    public void DeleteSpend(string budgetId)
    {
        FlushLedger();
        _connection.Execute("DELETE FROM budget_spend WHERE budget_id = @budgetId", new { budgetId }, Transaction);
        foreach (var key in _spendTotals.Keys.Where(k => k.BudgetId == budgetId).ToList())
        {
            _spendTotals.Remove(key);
        }

        _clearedBudgets.Add(budgetId);
    }

    /// <summary>Stops reconciling a pending record; false when it was not pending.</summary>
    public bool GiveUp(string id) =>
        _connection.Execute(
            "UPDATE calls SET reconcile_state = @GaveUp WHERE id = @id AND reconcile_state = @Pending",
            new { id, GaveUp = (long)ReconcileState.GaveUp, Pending = (long)ReconcileState.Pending },
            _transaction) > 0;

    public void Dispose()
    {
        _insert.Dispose();
        _hourly.Dispose();
        _daily.Dispose();
        _upsertSpend?.Dispose();
        _connection.Dispose();
    }

    // One upsert per budget period charged in the transaction; RETURNING hands the new total to the ledger.
    private void FlushLedger()
    {
        if (_upsertSpend is null || _charges.Count == 0)
        {
            return;
        }

        var p = _upsertSpend.Parameters;
        foreach (var (key, units) in _charges)
        {
            p[0].Value = key.BudgetId;
            p[1].Value = key.PeriodStartMs;
            p[2].Value = WideSum.Low(units);
            p[3].Value = WideSum.HighOf(units);
            using var reader = _upsertSpend.ExecuteReader();
            reader.Read();
            _spendTotals[key] = WideSum.Combine(reader.GetInt64(1), reader.GetInt64(0));
        }

        _charges.Clear();
    }

    private void FlushRollups()
    {
        _hourly.Flush();
        _daily.Flush();
    }

    private SqliteCommand Prepare(string sql, (string Name, SqliteType Type)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, type));
        }

        command.Prepare();
        return command;
    }

    private sealed record ReconcileRow(string Json, long StartedAtMs, string App, string Team, string Model, string Provider, long? CostUnits, string CostSource);
}
