using System.Runtime.CompilerServices;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// <see cref="ICallStore"/> on one SQLite file: a single batching writer (<see cref="SqliteWriter"/>) and pooled
/// read connections that WAL lets run alongside it. The schema is migrated once, on first use or at start.
/// </summary>
internal sealed class SqliteCallStore : ICallStore, IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lazy<Task> _migration;
    private readonly SqliteWriter _writer;
    private readonly ISpendLedger? _ledger;
    private int _disposed;

    /// <param name="path">The SQLite file.</param>
    /// <param name="timeProvider">The clock (migration times).</param>
    /// <param name="logger">Where failures are reported.</param>
    /// <param name="ledger">Budget spend, charged by the writer in the transactions that accept records; null without budgets.</param>
    public SqliteCallStore(string path, TimeProvider timeProvider, ILogger<SqliteCallStore> logger, ISpendLedger? ledger = null)
    {
        _ledger = ledger;
        _database = new SqliteDatabase(path);
        _timeProvider = timeProvider;
        _logger = logger;
        _migration = new Lazy<Task>(() => Task.Run(Migrate), LazyThreadSafetyMode.ExecutionAndPublication);
        _writer = new SqliteWriter(OpenWriteSessionAsync, logger);
    }

    public string Description => $"sqlite {_database.FilePath}";

    public string FilePath => _database.FilePath;

    /// <summary>Write transactions run so far; fewer than the write requests when they were batched.</summary>
    public long WriteTransactions => _writer.Transactions;

    public Task MigrateAsync(CancellationToken cancellationToken) => _migration.Value.WaitAsync(cancellationToken);

    public Task<IngestResult> InsertAsync(IReadOnlyList<LlmCallRecord> records, CancellationToken cancellationToken) =>
        InsertAsync(records, wireJson: null, cancellationToken);

    public async Task<IngestResult> InsertAsync(IReadOnlyList<LlmCallRecord> records, IReadOnlyList<string>? wireJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (wireJson is not null && wireJson.Count != records.Count)
        {
            throw new ArgumentException("One JSON text per record is needed.", nameof(wireJson));
        }

        if (records.Count == 0)
        {
            return new IngestResult([], 0);
        }

        // Serialise and validate here, on the callers' threads, so the writer only runs SQL.
        var calls = new StoredCall[records.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = StoredCall.From(records[i], wireJson?[i]);
        }

        return await _writer.SubmitAsync(new InsertRequest(calls), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SpendRow>> QuerySpendAsync(SpendQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        return await SqliteSpendQueries.QueryAsync(connection, query, cancellationToken).ConfigureAwait(false);
    }

    public async Task<CallPage> QueryCallsAsync(CallQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        return await SqliteCallQueries.QueryPageAsync(connection, query, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<LlmCallRecord> StreamCallsAsync(CallQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var record in SqliteCallQueries.StreamAsync(connection, query, cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

    public async Task<LlmCallRecord?> GetCallAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        return await SqliteCallQueries.GetAsync(connection, id, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReconcileCandidate>> GetReconcileCandidatesAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        return await SqliteCallQueries.CandidatesAsync(connection, since.ToUnixTimeMilliseconds(), limit, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetReconciledCostAsync(string id, decimal costUsd, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        StoreText.ToUnits(costUsd, id); // reject an out-of-range cost here rather than in the writer
        await _writer.SubmitAsync(new ReconcileRequest(id, costUsd), cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkReconcileFailedAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await _writer.SubmitAsync(new GiveUpRequest(id), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="apply"/> on the single writer, inside its transaction (possibly shared with queued inserts),
    /// and returns its result once committed: for rare writes that must be ordered with ingest, such as budget
    /// definitions and their ledger rows. It may run a second time, alone, if its batch fails, so it must write only
    /// through the session and leave other state to <see cref="ISpendLedger"/>'s commit and rollback calls.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteWriteSession, T> apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(apply);
        return _writer.SubmitAsync(new DelegateWriteRequest<T>(apply), cancellationToken);
    }

    /// <summary>Writes what is queued, closes the write connection and releases pooled read connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        _database.ClearReadPool();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Migrate()
    {
        using var connection = _database.OpenWriteConnection();
        var applied = SqliteMigrator.Migrate(connection, _timeProvider);
        if (applied.Count > 0)
        {
            _logger.LogInformation("SQLite store {Path}: applied migrations {Versions}", _database.FilePath, string.Join(", ", applied));
        }
    }

    private async Task<SqliteWriteSession> OpenWriteSessionAsync(CancellationToken cancellationToken)
    {
        await _migration.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        var connection = _database.OpenWriteConnection();
        try
        {
            return new SqliteWriteSession(connection, _ledger);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task<Microsoft.Data.Sqlite.SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _migration.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
    }
}
