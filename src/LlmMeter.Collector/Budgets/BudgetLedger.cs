using LlmMeter.Collector.Store;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// The budgets as the store's writer charges them (<see cref="ISpendLedger"/>), and an in-memory copy of what is
/// committed: the ledger rows of recent periods and, per budget, spend per minute of the last hour (by the records'
/// start) for forecasts. Budget changes are staged inside a writer transaction and take effect at its commit, so
/// the budgets, their ledger rows and this copy never disagree. Only the writer's thread stages and commits; readers
/// take <see cref="Figures"/> under a lock.
/// </summary>
internal sealed class BudgetLedger(TimeProvider time, ILogger<BudgetLedger> logger) : ISpendLedger
{
    /// <summary>How far back spend per minute is kept (the forecast uses the last hour).</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromHours(1);

    private const long MinuteMs = 60_000;

    private readonly Lock _lock = new();

    // Committed state, written on the writer thread under _lock, read by others under _lock.
    private readonly Dictionary<SpendKey, Int128> _spent = [];
    private readonly Dictionary<string, SpendMinutes> _minutes = new(StringComparer.Ordinal);
    private IReadOnlyList<CompiledBudget> _budgets = [];

    // Staged by the current writer transaction (writer thread only).
    private IReadOnlyList<CompiledBudget>? _stagedBudgets;
    private Dictionary<SpendKey, Int128>? _stagedLoaded;
    private readonly Dictionary<string, SpendMinutes> _stagedMinutes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _replacedMinutes = new(StringComparer.Ordinal);

    /// <summary>Raised on the writer thread after a commit that changed budgets or spend.</summary>
    public event Action? Changed;

    /// <summary>The budgets the writer's open transaction sees (staged ones first). Writer thread only.</summary>
    public IReadOnlyList<CompiledBudget> WriterBudgets => _stagedBudgets ?? _budgets;

    public void Charge(LlmCallRecord record, long units, Dictionary<SpendKey, Int128> charges)
    {
        var budgets = WriterBudgets;
        for (var i = 0; i < budgets.Count; i++)
        {
            var budget = budgets[i];
            if (!budget.Scope.Matches(record))
            {
                continue;
            }

            var key = new SpendKey(budget.Id, budget.ChargePeriodStartMs(record.StartedAt));
            charges[key] = charges.GetValueOrDefault(key) + units;
            StagedMinutes(budget.Id).Add(record.StartedAt.ToUnixTimeMilliseconds(), units);
        }
    }

    /// <summary>Makes <paramref name="budgets"/> the budget set from the commit of the open transaction on. Writer thread only.</summary>
    public void Stage(IReadOnlyList<CompiledBudget> budgets) => _stagedBudgets = [.. budgets.OrderBy(b => b.Id, StringComparer.Ordinal)];

    /// <summary>Ledger rows read from disk at start, applied at commit. Writer thread only.</summary>
    public void StageLoaded(Dictionary<SpendKey, Int128> rows) => _stagedLoaded = rows;

    /// <summary>
    /// Replaces a budget's spend per minute with what its definition-time scan found (which includes whatever the
    /// open transaction charged before). Writer thread only.
    /// </summary>
    public void StageMinutes(string budgetId, SpendMinutes minutes)
    {
        _stagedMinutes[budgetId] = minutes;
        _replacedMinutes.Add(budgetId);
    }

    public void Committed(IReadOnlyDictionary<SpendKey, Int128> totals, IReadOnlyCollection<string> cleared)
    {
        if (_stagedBudgets is null && _stagedLoaded is null && totals.Count == 0 && cleared.Count == 0 && _stagedMinutes.Count == 0)
        {
            return;
        }

        try
        {
            lock (_lock)
            {
                Apply(totals, cleared);
            }

            Changed?.Invoke();
        }
        catch (Exception ex)
        {
            // The transaction is committed: a failure here must not fail the writes; the next refresh reads again.
            logger.LogError(ex, "Updating the in-memory budget ledger after a commit failed");
        }
        finally
        {
            ClearStaged();
        }
    }

    public void RolledBack() => ClearStaged();

    /// <summary>Each budget's figures at <paramref name="now"/>: current period, its spend, and spend in the recent window.</summary>
    public IReadOnlyList<BudgetFigures> Figures(DateTimeOffset now)
    {
        lock (_lock)
        {
            var figures = new BudgetFigures[_budgets.Count];
            for (var i = 0; i < figures.Length; i++)
            {
                var budget = _budgets[i];
                var (start, end) = budget.Period(now);
                var windowStart = start > now - RateWindow ? start : now - RateWindow;
                var recent = _minutes.TryGetValue(budget.Id, out var minutes) ? minutes.Sum(windowStart.ToUnixTimeMilliseconds()) : Int128.Zero;
                figures[i] = new BudgetFigures(budget, start, end, _spent.GetValueOrDefault(new SpendKey(budget.Id, start.ToUnixTimeMilliseconds())), recent, windowStart);
            }

            return figures;
        }
    }

    private void Apply(IReadOnlyDictionary<SpendKey, Int128> totals, IReadOnlyCollection<string> cleared)
    {
        if (_stagedBudgets is not null)
        {
            _budgets = _stagedBudgets;
        }

        foreach (var id in cleared)
        {
            RemoveRows(id);
            _minutes.Remove(id);
        }

        foreach (var (key, units) in _stagedLoaded ?? [])
        {
            _spent[key] = units;
        }

        foreach (var (key, units) in totals)
        {
            _spent[key] = units;
        }

        foreach (var (id, staged) in _stagedMinutes)
        {
            if (_replacedMinutes.Contains(id) || !_minutes.TryGetValue(id, out var minutes))
            {
                _minutes[id] = staged;
            }
            else
            {
                minutes.Merge(staged);
            }
        }

        Prune();
    }

    // Keeps the rows of current and later periods of current budgets, and the last hour of minutes.
    private void Prune()
    {
        var now = time.GetUtcNow();
        var current = _budgets.ToDictionary(b => b.Id, b => b.Period(now).Start.ToUnixTimeMilliseconds(), StringComparer.Ordinal);
        foreach (var key in _spent.Keys.Where(k => !current.TryGetValue(k.BudgetId, out var start) || k.PeriodStartMs < start).ToList())
        {
            _spent.Remove(key);
        }

        var oldest = (now - RateWindow).ToUnixTimeMilliseconds() - MinuteMs;
        foreach (var id in _minutes.Keys.ToList())
        {
            if (!current.ContainsKey(id))
            {
                _minutes.Remove(id);
            }
            else
            {
                _minutes[id].DropBefore(oldest);
            }
        }
    }

    private void RemoveRows(string budgetId)
    {
        foreach (var key in _spent.Keys.Where(k => k.BudgetId == budgetId).ToList())
        {
            _spent.Remove(key);
        }
    }

    private SpendMinutes StagedMinutes(string budgetId)
    {
        if (!_stagedMinutes.TryGetValue(budgetId, out var minutes))
        {
            minutes = new SpendMinutes();
            _stagedMinutes.Add(budgetId, minutes);
        }

        return minutes;
    }

    private void ClearStaged()
    {
        _stagedBudgets = null;
        _stagedLoaded = null;
        _stagedMinutes.Clear();
        _replacedMinutes.Clear();
    }
}

/// <summary>A budget's figures at one instant (units of 1e-10 USD; sums, so wider than 64 bits).</summary>
internal sealed record BudgetFigures(
    CompiledBudget Budget, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, Int128 SpentUnits, Int128 RecentUnits, DateTimeOffset RecentSince);

/// <summary>Spend per minute of the records' start time; old minutes are dropped as time passes.</summary>
internal sealed class SpendMinutes
{
    private const long MinuteMs = 60_000;
    private readonly Dictionary<long, Int128> _units = [];

    public void Add(long startedAtMs, long units)
    {
        var minute = startedAtMs - (((startedAtMs % MinuteMs) + MinuteMs) % MinuteMs);
        _units[minute] = _units.GetValueOrDefault(minute) + units;
    }

    /// <summary>Spend of the minutes starting at or after <paramref name="sinceMs"/>'s minute.</summary>
    public Int128 Sum(long sinceMs)
    {
        var from = sinceMs - (((sinceMs % MinuteMs) + MinuteMs) % MinuteMs);
        Int128 sum = 0;
        foreach (var (minute, units) in _units)
        {
            if (minute >= from)
            {
                sum += units;
            }
        }

        return sum;
    }

    public void Merge(SpendMinutes other)
    {
        foreach (var (minute, units) in other._units)
        {
            _units[minute] = _units.GetValueOrDefault(minute) + units;
        }
    }

    public void DropBefore(long ms)
    {
        foreach (var minute in _units.Keys.Where(m => m < ms).ToList())
        {
            _units.Remove(minute);
        }
    }
}
