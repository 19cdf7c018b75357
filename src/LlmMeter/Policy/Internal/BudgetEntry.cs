namespace LlmMeter.Policy.Internal;

/// <summary>A budget ready for decisions: its limit, the collector's spend, and this process's calls since.</summary>
internal sealed class BudgetEntry
{
    // Money as integer 1e-10 USD: exact, and addable with Interlocked.
    internal const decimal UnitsPerUsd = 10_000_000_000m;

    private long _localUnits;

    public BudgetEntry(PolicyBudget budget)
    {
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

    public void AddLocal(long units) => Interlocked.Add(ref _localUnits, units);

    /// <summary>The highest threshold reached, or null.</summary>
    public ThresholdEntry? Reached()
    {
        if (LimitUnits <= 0)
        {
            return null;
        }

        // percent reached = current * 100 / limit, compared without floating error on the common whole percents.
        var current = (double)CurrentUnits * 100 / LimitUnits;
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

/// <summary>A threshold with its rule id and prepared model map.</summary>
internal sealed record ThresholdEntry(string RuleId, PolicyThreshold Threshold, ModelMapper? Mapper);
