namespace LlmMeter.Policy.Internal;

/// <summary>A budget ready for decisions: its limit, the collector's spend, and this process's calls since.</summary>
internal sealed class BudgetEntry
{
    // Money as integer 1e-10 USD: exact, and addable with Interlocked.
    internal const decimal UnitsPerUsd = 10_000_000_000m;

    private readonly BudgetCallStats _calls;
    private long _localUnits;

    public BudgetEntry(PolicyBudget budget, BudgetCallStats? calls = null)
    {
        _calls = calls ?? new BudgetCallStats();
        Budget = budget;
        Scope = new ScopeMatcher(budget.Scope);
        LimitUnits = ToUnits(budget.LimitUsd);
        SpentUnits = ToUnits(budget.SpentUsd);
        Thresholds = budget.Thresholds
            .Where(t => t.Action != RoutingAction.Alert && t.Percent >= 0)
            .OrderByDescending(t => t.Percent)
            .Select(t => new ThresholdEntry(
                $"{budget.Id}@{t.Percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                t,
                t.Action switch
                {
                    RoutingAction.Downgrade => ModelMapper.From(t.ModelMap),
                    RoutingAction.RouteFree when !string.IsNullOrWhiteSpace(t.FreeModel) => ModelMapper.To(t.FreeModel),
                    _ => null,
                }))
            .Where(t => t.Threshold.Action == RoutingAction.Block || t.Mapper is not null)
            .ToArray();
    }

    public PolicyBudget Budget { get; }

    public ScopeMatcher Scope { get; }

    public long LimitUnits { get; }

    public long SpentUnits { get; }

    public ThresholdEntry[] Thresholds { get; }

    /// <summary>Spend including this process's calls since the policy was fetched.</summary>
    public long CurrentUnits => SpentUnits + Volatile.Read(ref _localUnits);

    public decimal CurrentUsd => CurrentUnits / UnitsPerUsd;

    public void AddLocal(long units)
    {
        Interlocked.Add(ref _localUnits, units);
        _calls.Observe(units);
    }

    /// <summary>A call in this budget is about to go out: until its cost is known it counts at the average cost.</summary>
    public void Reserve() => _calls.Reserve();

    public void Release() => _calls.Release();

    /// <summary>
    /// Spend with the calls still in flight priced at the average call cost. Their cost is only known when they
    /// end, so without this every call started while the limit is being reached would overrun it.
    /// </summary>
    public long ProjectedUnits => CurrentUnits + _calls.InFlightUnits;

    /// <summary>The highest threshold reached, or null.</summary>
    public ThresholdEntry? Reached()
    {
        if (LimitUnits <= 0)
        {
            return null;
        }

        var current = (double)ProjectedUnits * 100 / LimitUnits;
        foreach (var threshold in Thresholds)
        {
            if (current >= threshold.Threshold.Percent)
            {
                return threshold;
            }
        }

        return null;
    }

    public static long ToUnits(decimal usd) => usd <= 0 ? 0 : (long)Math.Min(decimal.Round(usd * UnitsPerUsd), long.MaxValue);
}

/// <summary>
/// Calls in flight and the average call cost of one budget. Kept per budget id across policy updates: a call
/// reserved under one policy is released under the next, and a new policy must still see it in flight.
/// </summary>
internal sealed class BudgetCallStats
{
    private long _averageCallUnits;
    private int _inFlight;

    public long InFlightUnits => Math.Max(0, Volatile.Read(ref _inFlight)) * Volatile.Read(ref _averageCallUnits);

    public void Reserve() => Interlocked.Increment(ref _inFlight);

    public void Release() => Interlocked.Decrement(ref _inFlight);

    /// <summary>A running average of what one call costs (weight 1/8).</summary>
    public void Observe(long units)
    {
        var average = Volatile.Read(ref _averageCallUnits);
        Volatile.Write(ref _averageCallUnits, average == 0 ? units : average + ((units - average) / 8));
    }
}

/// <summary>A threshold with its rule id and prepared model map.</summary>
internal sealed record ThresholdEntry(string RuleId, PolicyThreshold Threshold, ModelMapper? Mapper);
