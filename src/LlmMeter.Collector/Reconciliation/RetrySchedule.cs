namespace LlmMeter.Collector.Reconciliation;

/// <summary>
/// When each not-yet-available generation may be looked up again: exponential backoff per id, in memory
/// (after a restart every candidate is simply tried once more). Not thread-safe: the reconciler's single loop owns it.
/// </summary>
internal sealed class RetrySchedule
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;

    public RetrySchedule(TimeSpan first, TimeSpan max)
    {
        _first = first;
        _max = max;
    }

    public int Count => _entries.Count;

    /// <summary>The earliest time an id falls due, or null when none waits.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            DateTimeOffset? next = null;
            foreach (var entry in _entries.Values)
            {
                if (next is null || entry.NextAttempt < next)
                {
                    next = entry.NextAttempt;
                }
            }

            return next;
        }
    }

    /// <summary><paramref name="first"/> doubled for each failure after the first, capped at <paramref name="max"/>.</summary>
    public static TimeSpan Exponential(TimeSpan first, int failures, TimeSpan max)
    {
        var doublings = Math.Clamp(failures - 1, 0, 30);
        var ticks = first.Ticks * Math.Pow(2, doublings);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    public bool IsDue(string id, DateTimeOffset now) => !_entries.TryGetValue(id, out var entry) || entry.NextAttempt <= now;

    /// <summary>Records one more failed lookup and schedules the next: 1st retry after <c>first</c>, then doubling.</summary>
    public TimeSpan Failed(string id, DateTimeOffset now, DateTimeOffset giveUpAt)
    {
        var failures = _entries.TryGetValue(id, out var entry) ? entry.Failures + 1 : 1;
        var wait = Exponential(_first, failures, _max);
        // The last try lands on the give-up time, so an id is never abandoned before it.
        var next = now + wait > giveUpAt && giveUpAt > now ? giveUpAt : now + wait;
        _entries[id] = new Entry(failures, next, giveUpAt);
        return next - now;
    }

    public void Forget(string id) => _entries.Remove(id);

    /// <summary>Drops ids well past their give-up time (reconciled or marked elsewhere, or no longer offered).</summary>
    public void Prune(DateTimeOffset now)
    {
        List<string>? stale = null;
        foreach (var (id, entry) in _entries)
        {
            if (entry.GiveUpAt + _max < now)
            {
                (stale ??= []).Add(id);
            }
        }

        stale?.ForEach(id => _entries.Remove(id));
    }

    private readonly record struct Entry(int Failures, DateTimeOffset NextAttempt, DateTimeOffset GiveUpAt);
}
