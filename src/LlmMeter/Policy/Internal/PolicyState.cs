using System.Collections.Concurrent;

namespace LlmMeter.Policy.Internal;

/// <summary>
/// The policy in force for a process, and the cost of this process's recent calls. A new policy from the
/// collector replaces the old one; calls made shortly before it was fetched may not be in the collector's
/// figures yet (the exporter batches), so their cost is added again: erring towards blocking a little early
/// rather than overrunning a hard limit.
/// </summary>
internal sealed class PolicyState
{
    private const int MaxRecent = 100_000;

    private readonly TimeProvider _time;
    private readonly TimeSpan _ingestLag;
    private readonly ConcurrentQueue<RecentCost> _recent = new();
    private readonly ConcurrentDictionary<string, BudgetCallStats> _callStats = new(StringComparer.Ordinal);
    private volatile CompiledPolicy _current = CompiledPolicy.Empty;
    private RoutingPolicy? _last;

    public PolicyState(TimeProvider time, TimeSpan ingestLag)
    {
        _time = time;
        _ingestLag = ingestLag;
    }

    public CompiledPolicy Current => _current;

    /// <summary>When the policy in force was fetched (local clock), or null before the first.</summary>
    public DateTimeOffset? FetchedAt { get; private set; }

    public void Apply(RoutingPolicy policy)
    {
        _last = policy;
        var compiled = new CompiledPolicy(policy, id => _callStats.GetOrAdd(id, static _ => new BudgetCallStats()));
        var now = _time.GetUtcNow();
        var since = now - _ingestLag;
        Trim(since);
        foreach (var cost in _recent)
        {
            if (cost.At >= since)
            {
                compiled.Account(cost.App, cost.Tags, cost.Model, cost.Provider, cost.Units);
            }
        }

        _current = compiled;
        FetchedAt = now;
    }

    /// <summary>
    /// The collector's figures did not change (304): apply the same policy again, so costs added on top of it because
    /// they might not have reached the collector yet stop counting once they are older than the ingest lag. Without
    /// this, a handler that stopped calling (blocked by that very double count) would stay blocked.
    /// </summary>
    public void Reapply()
    {
        if (_last is { } last && FetchedAt is not null)
        {
            Apply(last);
        }
    }

    /// <summary>Fail open: after the collector has been unreachable too long, no rule applies.</summary>
    public void Clear()
    {
        _current = CompiledPolicy.Empty;
        _last = null;
        FetchedAt = null;
    }

    public void OnRecord(LlmCallRecord record)
    {
        if (record.CostUsd is not { } cost || cost <= 0)
        {
            return;
        }

        var units = BudgetEntry.ToUnits(cost);
        var model = record.ServedModel ?? record.RequestedModel;
        _current.Account(record.App, record.Tags, model, record.Provider, units);
        _recent.Enqueue(new RecentCost(_time.GetUtcNow(), record.App, record.Tags, model, record.Provider, units));
        if (_recent.Count > MaxRecent)
        {
            Trim(_time.GetUtcNow() - _ingestLag);
        }
    }

    private void Trim(DateTimeOffset since)
    {
        while (_recent.TryPeek(out var oldest) && (oldest.At < since || _recent.Count > MaxRecent))
        {
            _recent.TryDequeue(out _);
        }
    }

    private sealed record RecentCost(DateTimeOffset At, string App, IReadOnlyDictionary<string, string> Tags, string? Model, string? Provider, long Units);
}
