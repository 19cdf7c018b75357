using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using Microsoft.Extensions.Options;
using PolicyOverride = LlmMeter.Policy.PolicyOverride;

namespace LlmMeter.Collector.Policy;

/// <summary>An override with where it came from and when.</summary>
internal sealed record StoredOverride(PolicyOverride Override, string Source, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One change asked for by an alert: set <see cref="Upsert"/>, or remove <see cref="Id"/>.</summary>
internal sealed record OverrideChange(string Id, PolicyOverride? Upsert, string Source)
{
    public static OverrideChange Set(PolicyOverride entry, string source) => new(entry.Id, entry, source);

    public static OverrideChange Remove(string id, string source) => new(id, null, source);
}

/// <summary>
/// The alert-driven routing overrides in force: held in memory for <c>GET /v1/policy</c>, written through to the
/// <c>routing_overrides</c> table (one transaction per webhook) so they survive a restart. Readers never lock;
/// changes are serialised so memory and file agree.
/// </summary>
internal sealed class RoutingOverrideStore : IRoutingOverrides
{
    private static readonly Snapshot s_empty = new(new Dictionary<string, StoredOverride>(StringComparer.Ordinal));

    private readonly SqliteDatabase _database;
    private readonly ICallStore _callStore;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Snapshot _snapshot = s_empty;
    private long _version;

    public RoutingOverrideStore(IOptions<CollectorOptions> options, ICallStore callStore, TimeProvider time, ILogger<RoutingOverrideStore> logger)
    {
        _database = new SqliteDatabase(options.Value.Store.SqlitePath);
        _callStore = callStore;
        _time = time;
        _logger = logger;
    }

    /// <summary>Sorted by id, so the policy document is the same for the same overrides.</summary>
    public IReadOnlyList<PolicyOverride> Active => _snapshot.Active;

    /// <summary>Every override with its source and times, sorted by id.</summary>
    public IReadOnlyList<StoredOverride> All => _snapshot.Sorted;

    public long Version => Interlocked.Read(ref _version);

    /// <summary>Reads the table (after the schema is migrated); called once at start.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await _callStore.MigrateAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = _database.OpenWriteConnection();
            var loaded = OverrideTable.ReadAll(connection);
            _snapshot = new Snapshot(loaded.ToDictionary(o => o.Override.Id, StringComparer.Ordinal));
            Interlocked.Increment(ref _version);
            if (loaded.Count > 0)
            {
                _logger.LogInformation("Routing overrides in force after restart: {Count}", loaded.Count);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Applies <paramref name="changes"/> in order, in one transaction. Returns the ids set (also when unchanged)
    /// and the ids that were present and removed.
    /// </summary>
    public async Task<(IReadOnlyList<string> Set, IReadOnlyList<string> Removed)> ApplyAsync(IReadOnlyList<OverrideChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var set = new List<string>();
        var removed = new List<string>();
        if (changes.Count == 0)
        {
            return (set, removed);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds()); // as stored
            var next = new Dictionary<string, StoredOverride>(_snapshot.ById, StringComparer.Ordinal);
            var writes = new Dictionary<string, StoredOverride?>(StringComparer.Ordinal); // null: delete
            foreach (var change in changes)
            {
                if (change.Upsert is { } entry)
                {
                    set.Add(change.Id);
                    if (next.TryGetValue(change.Id, out var existing) && existing.Override == entry && existing.Source == change.Source)
                    {
                        continue; // A repeated notification of a firing alert changes nothing.
                    }

                    var stored = new StoredOverride(entry, change.Source, existing?.CreatedAt ?? now, now);
                    next[change.Id] = stored;
                    writes[change.Id] = stored;
                }
                else if (next.Remove(change.Id))
                {
                    removed.Add(change.Id);
                    writes[change.Id] = null;
                }
            }

            if (writes.Count > 0)
            {
                using (var connection = _database.OpenWriteConnection())
                {
                    OverrideTable.Write(connection, writes);
                }

                _snapshot = new Snapshot(next);
                Interlocked.Increment(ref _version);
                foreach (var (id, stored) in writes)
                {
                    if (stored is null)
                    {
                        _logger.LogInformation("Routing override {Id} removed", id);
                    }
                    else
                    {
                        _logger.LogInformation("Routing override {Id} in force: {Action} for app={App} team={Team} model={Model}", id, stored.Override.Action, stored.Override.Scope.App, stored.Override.Scope.Team, stored.Override.Scope.Model);
                    }
                }
            }

            return (set, removed);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes one override by hand; false when there was none with that id.</summary>
    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        var (_, removed) = await ApplyAsync([OverrideChange.Remove(id, "api")], cancellationToken).ConfigureAwait(false);
        return removed.Count > 0;
    }

    private sealed class Snapshot
    {
        public Snapshot(Dictionary<string, StoredOverride> byId)
        {
            ById = byId;
            Sorted = [.. byId.Values.OrderBy(o => o.Override.Id, StringComparer.Ordinal)];
            Active = [.. Sorted.Select(o => o.Override)];
        }

        public Dictionary<string, StoredOverride> ById { get; }

        public StoredOverride[] Sorted { get; }

        public PolicyOverride[] Active { get; }
    }
}

/// <summary>Loads the overrides at start.</summary>
internal sealed class RoutingOverridesLoader(RoutingOverrideStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.LoadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
