namespace LlmMeter.Collector.Store;

/// <summary>
/// Where records live. The API, metrics and reconciliation only see this interface, so another database
/// (PostgreSQL for several replicas) plugs in without touching them.
/// </summary>
internal interface ICallStore : IAsyncDisposable
{
    /// <summary>A human-readable description of the store for the start-up log (e.g. the SQLite file path).</summary>
    string Description { get; }

    /// <summary>Creates or upgrades the schema (versioned migrations). Called once at start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores the records that are new (by <see cref="LlmCallRecord.Id"/>) and updates the hourly rollups in
    /// the same transaction. Returns once committed to disk. Records already stored are duplicates: neither
    /// stored nor counted again. Concurrent callers are batched by a single writer.
    /// </summary>
    Task<IngestResult> InsertAsync(IReadOnlyList<LlmCallRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="InsertAsync(IReadOnlyList{LlmCallRecord}, CancellationToken)"/>, storing each record's JSON as
    /// it arrived (<paramref name="wireJson"/>, same order, already parsed into <paramref name="records"/>) instead of
    /// serialising the record again: ingest already holds those bytes, and serialising costs more than storing.
    /// </summary>
    Task<IngestResult> InsertAsync(IReadOnlyList<LlmCallRecord> records, IReadOnlyList<string>? wireJson, CancellationToken cancellationToken);

    /// <summary>Spend grouped and filtered as asked, from the hourly rollups (never the raw records).</summary>
    Task<IReadOnlyList<SpendRow>> QuerySpendAsync(SpendQuery query, CancellationToken cancellationToken);

    /// <summary>Newest first, keyset paged.</summary>
    Task<CallPage> QueryCallsAsync(CallQuery query, CancellationToken cancellationToken);

    /// <summary>Every matching record, newest first, streamed from the database (for CSV export).</summary>
    IAsyncEnumerable<LlmCallRecord> StreamCallsAsync(CallQuery query, CancellationToken cancellationToken);

    /// <summary>One record, or null.</summary>
    Task<LlmCallRecord?> GetCallAsync(string id, CancellationToken cancellationToken);

    /// <summary>Records with cost source estimated or none, an OpenRouter generation id, started at or after <paramref name="since"/>, not yet given up on; oldest first.</summary>
    Task<IReadOnlyList<ReconcileCandidate>> GetReconcileCandidatesAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>Sets the authoritative cost (cost source reconciled) and moves the rollups by the difference.</summary>
    Task SetReconciledCostAsync(string id, decimal costUsd, CancellationToken cancellationToken);

    /// <summary>Marks a record as not reconcilable (gave up after retries), so it is not looked up again.</summary>
    Task MarkReconcileFailedAsync(string id, CancellationToken cancellationToken);
}

/// <summary>What an insert did.</summary>
/// <param name="Accepted">The records newly stored, in input order.</param>
/// <param name="Duplicates">How many were already stored (or repeated within the input).</param>
internal sealed record IngestResult(IReadOnlyList<LlmCallRecord> Accepted, int Duplicates);

/// <summary>A record waiting for its authoritative cost.</summary>
internal sealed record ReconcileCandidate(string Id, DateTimeOffset StartedAt, LlmCostSource CostSource, decimal? CostUsd);

/// <summary>
/// What any store accepts; ingest validation should reject beyond it (the store throws <see cref="ArgumentOutOfRangeException"/>).
/// Within it every total the store keeps or answers is exact for any number of records: token counts may be any 64-bit
/// value and their sums are <see cref="Int128"/>; requests, fallbacks and errors grow by one a record.
/// </summary>
internal static class StoreLimits
{
    /// <summary>
    /// The largest |cost_usd| of one record. One cost is 64-bit integer units of 1e-10 USD (1e16 at most); sums of them are
    /// wider, and as a decimal exact up to 7.9e18 USD, more than a SQLite file can hold records of this cost.
    /// </summary>
    public const decimal MaxCostUsd = 1_000_000m;
}
