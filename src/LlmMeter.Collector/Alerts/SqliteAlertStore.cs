using Dapper;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Alerts;

/// <summary>A delivery waiting for its next attempt, with what is needed to send it.</summary>
/// <remarks>
/// <see cref="AgeFromMs"/> is when the event occurred or, if later, was enqueued: late-ingested spend must not start
/// out expired. Settable properties, not a positional record: Dapper's async query builds its reader before the first row, when
/// SQLite cannot type the computed <c>AgeFromMs</c> column yet, and a constructor match on types then fails on an
/// empty result.
/// </remarks>
internal sealed class DueDelivery
{
    public long Id { get; init; }

    public string EventId { get; init; } = "";

    public string EventType { get; init; } = "";

    public string UrlHash { get; init; } = "";

    public string Format { get; init; } = "";

    public long Attempts { get; init; }

    public long AgeFromMs { get; init; }

    public string PayloadJson { get; init; } = "";
}

/// <summary>One row of the delivery log.</summary>
internal sealed record DeliveryLogRow(
    long Id,
    string EventId,
    string EventType,
    string BudgetId,
    long EndpointIndex,
    string EndpointUrl,
    string Format,
    string Status,
    long Attempts,
    long CreatedAtMs,
    long? NextAttemptMs,
    long? LastAttemptMs,
    long? LastStatusCode,
    string? LastError,
    long? DeliveredAtMs);

/// <summary>An event and its deliveries, ready to be stored in one transaction.</summary>
internal sealed record NewAlertEvent(string Id, string DedupeKey, string Type, string BudgetId, long OccurredAtMs, long CreatedAtMs, string PayloadJson, IReadOnlyList<WebhookEndpoint> Endpoints);

/// <summary>Delivery states (<c>alert_deliveries.status</c>).</summary>
internal static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Expired = "expired";

    public static IReadOnlyList<string> All { get; } = [Pending, Delivered, Failed, Expired];
}

/// <summary>
/// The outbox tables (migration 003) on the store's SQLite file, through connections opened like the store's own
/// (WAL, synchronous=FULL, busy timeout). Writes are rare (one per event and per attempt), so each opens its own
/// connection and takes the write lock up front (BEGIN IMMEDIATE) beside the store's writer.
/// </summary>
internal sealed class SqliteAlertStore : IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly ICallStore _callStore;

    public SqliteAlertStore(IOptions<CollectorOptions> options, ICallStore callStore)
    {
        _database = new SqliteDatabase(options.Value.Store.SqlitePath);
        _callStore = callStore;
    }

    /// <summary>Stores the event and one pending delivery per endpoint; false (and nothing written) when the dedupe key is known.</summary>
    public async Task<bool> InsertAsync(NewAlertEvent alert, CancellationToken cancellationToken)
    {
        await _callStore.MigrateAsync(cancellationToken).ConfigureAwait(false);
        using var connection = _database.OpenWriteConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alert_events (id, dedupe_key, type, budget_id, occurred_at_ms, created_at_ms, payload_json)
            VALUES (@Id, @DedupeKey, @Type, @BudgetId, @OccurredAtMs, @CreatedAtMs, @PayloadJson)
            ON CONFLICT (dedupe_key) DO NOTHING
            """,
            alert,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (inserted == 0)
        {
            return false;
        }

        foreach (var endpoint in alert.Endpoints)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO alert_deliveries (event_id, endpoint_index, url_hash, endpoint_url, format, status, attempts, created_at_ms, next_attempt_ms)
                VALUES (@EventId, @EndpointIndex, @UrlHash, @EndpointUrl, @Format, 'pending', 0, @Now, @Now)
                """,
                new { EventId = alert.Id, EndpointIndex = endpoint.Index, endpoint.UrlHash, EndpointUrl = endpoint.DisplayUrl, endpoint.Format, Now = alert.CreatedAtMs },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        transaction.Commit();
        return true;
    }

    /// <summary>Pending deliveries due at <paramref name="nowMs"/>, the longest-waiting first.</summary>
    public async Task<IReadOnlyList<DueDelivery>> DueAsync(long nowMs, int limit, CancellationToken cancellationToken)
    {
        await _callStore.MigrateAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DueDelivery>(new CommandDefinition(
            """
            SELECT d.id AS Id, d.event_id AS EventId, e.type AS EventType, d.url_hash AS UrlHash, d.format AS Format,
                   d.attempts AS Attempts, MAX(e.occurred_at_ms, e.created_at_ms) AS AgeFromMs, e.payload_json AS PayloadJson
            FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
            WHERE d.status = 'pending' AND d.next_attempt_ms <= @nowMs
            ORDER BY d.next_attempt_ms, d.id
            LIMIT @limit
            """,
            new { nowMs, limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>When the next pending delivery falls due (epoch ms), or null when none is pending.</summary>
    public async Task<long?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(next_attempt_ms) FROM alert_deliveries WHERE status = 'pending'",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Records an attempt's outcome (or, with <paramref name="attempted"/> false, an expiry or a give-up without sending).
    /// Only a pending row changes, so a delivered one can never be reopened.
    /// </summary>
    public async Task RecordAsync(long id, DeliveryOutcome outcome, bool attempted, long nowMs, CancellationToken cancellationToken)
    {
        using var connection = _database.OpenWriteConnection();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE alert_deliveries
            SET status = @Status,
                attempts = attempts + @Increment,
                next_attempt_ms = @NextAttemptMs,
                last_attempt_ms = CASE WHEN @Increment = 1 THEN @NowMs ELSE last_attempt_ms END,
                last_status_code = CASE WHEN @Increment = 1 THEN @StatusCode ELSE last_status_code END,
                last_error = COALESCE(@Error, CASE WHEN @Status = 'delivered' THEN NULL ELSE last_error END),
                delivered_at_ms = CASE WHEN @Status = 'delivered' THEN @NowMs ELSE NULL END
            WHERE id = @Id AND status = 'pending'
            """,
            new
            {
                Id = id,
                outcome.Status,
                Increment = attempted ? 1 : 0,
                NextAttemptMs = outcome.Status == DeliveryStatus.Pending ? outcome.NextAttemptMs : null,
                NowMs = nowMs,
                outcome.StatusCode,
                outcome.Error,
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The newest deliveries first, optionally only those in <paramref name="status"/>.</summary>
    public async Task<IReadOnlyList<DeliveryLogRow>> ListAsync(int limit, string? status, CancellationToken cancellationToken)
    {
        await _callStore.MigrateAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DeliveryLogRow>(new CommandDefinition(
            """
            SELECT d.id AS Id, d.event_id AS EventId, e.type AS EventType, e.budget_id AS BudgetId, d.endpoint_index AS EndpointIndex,
                   d.endpoint_url AS EndpointUrl, d.format AS Format, d.status AS Status, d.attempts AS Attempts,
                   d.created_at_ms AS CreatedAtMs, d.next_attempt_ms AS NextAttemptMs, d.last_attempt_ms AS LastAttemptMs,
                   d.last_status_code AS LastStatusCode, d.last_error AS LastError, d.delivered_at_ms AS DeliveredAtMs
            FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
            WHERE @status IS NULL OR d.status = @status
            ORDER BY d.created_at_ms DESC, d.id DESC
            LIMIT @limit
            """,
            new { limit, status },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    public void Dispose() => _database.ClearReadPool();
}
