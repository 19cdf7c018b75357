using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// Every budget's state in its current period, recomputed from the <see cref="BudgetLedger"/>'s committed figures
/// right after each commit that changed budgets or spend (so it is current when an ingest returns), and on the
/// <see cref="BudgetBackgroundService"/>'s timer (a period that ends without traffic, forecasts that age).
/// </summary>
internal sealed class BudgetState : IBudgetState
{
    private const long MinuteMs = 60_000;
    private const long MinimumWindowMs = MinuteMs;

    private readonly BudgetLedger _ledger;
    private readonly TimeProvider _time;
    private readonly Lock _refreshLock = new();
    private IReadOnlyList<BudgetStatus> _current = [];
    private long _version;

    public BudgetState(BudgetLedger ledger, TimeProvider time)
    {
        _ledger = ledger;
        _time = time;
        ledger.Changed += Refresh;
    }

    /// <summary>Raised (on the refreshing thread) when <see cref="Current"/> changed.</summary>
    public event Action? Changed;

    public IReadOnlyList<BudgetStatus> Current => Volatile.Read(ref _current);

    public long Version => Interlocked.Read(ref _version);

    /// <summary>The status of one budget, or null.</summary>
    public BudgetStatus? Find(string id) => Current.FirstOrDefault(s => s.Budget.Id == id);

    /// <summary>Recomputes every status at the clock's now; bumps <see cref="Version"/> when anything differs.</summary>
    public void Refresh()
    {
        bool changed;
        lock (_refreshLock)
        {
            var now = _time.GetUtcNow();
            var figures = _ledger.Figures(now);
            var statuses = new BudgetStatus[figures.Count];
            for (var i = 0; i < statuses.Length; i++)
            {
                statuses[i] = Status(figures[i], now);
            }

            changed = !statuses.SequenceEqual(_current);
            if (changed)
            {
                Volatile.Write(ref _current, statuses);
                Interlocked.Increment(ref _version);
            }
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>The status from a budget's figures: thresholds reached, the action in force, the forecast.</summary>
    public static BudgetStatus Status(BudgetFigures figures, DateTimeOffset now)
    {
        var budget = figures.Budget;
        var definition = budget.Definition;
        double? reached = null;
        var action = RoutingAction.Alert;
        foreach (var threshold in definition.Thresholds)
        {
            // spent >= limit * percent / 100; spent is an integer, so comparing it with the threshold's ceiling is exact.
            if (figures.SpentUnits >= (Int128)decimal.Ceiling(budget.LimitUnits * (decimal)threshold.Percent / 100m))
            {
                reached = threshold.Percent;
                action = threshold.Action > action ? threshold.Action : action;
            }
        }

        return new BudgetStatus
        {
            Budget = definition,
            PeriodStart = figures.PeriodStart,
            PeriodEnd = figures.PeriodEnd,
            SpentUsd = StoreText.FromUnits(figures.SpentUnits),
            ThresholdReached = reached,
            ActiveAction = action,
            ForecastExhaustion = Forecast(figures, now),
        };
    }

    /// <summary>
    /// When spend reaches the limit if it goes on at the recent rate: the spend of the records that started in the
    /// last hour (since the period start when the period is younger; at least one minute), per millisecond,
    /// projected from now. Null when nothing was spent recently, the limit is already reached, or the projection
    /// falls at or after the period end. Rounded up to the minute, so an idle collector's state changes at most
    /// once a minute. Spend per minute lives in memory: after a restart the rate comes from the records ingested
    /// since (or from a budget's definition-time scan).
    /// </summary>
    public static DateTimeOffset? Forecast(BudgetFigures figures, DateTimeOffset now)
    {
        // A negative spend (only negative costs make one) counts as none, so remaining stays within the 64-bit limit.
        var remaining = figures.Budget.LimitUnits - Int128.Max(figures.SpentUnits, 0);
        if (figures.RecentUnits <= 0 || remaining <= 0)
        {
            return null;
        }

        var windowMs = Math.Max((now - figures.RecentSince).Ticks / TimeSpan.TicksPerMillisecond, MinimumWindowMs);
        // Decimal keeps it exact: $8 left at $2 an hour is 4 hours, not 4 hours and a rounding error. Remaining is at
        // most the (64-bit) limit; recent spend at least remaining × window leaves a millisecond or less, and below
        // that it fits a decimal too.
        var msLeft = figures.RecentUnits >= remaining * windowMs
            ? 1m
            : decimal.Ceiling((decimal)remaining * windowMs / (decimal)figures.RecentUnits);
        if (msLeft >= (decimal)(figures.PeriodEnd - now).TotalMilliseconds)
        {
            return null;
        }

        var at = now.ToUnixTimeMilliseconds() + (long)msLeft;
        var minute = (at + MinuteMs - 1) / MinuteMs * MinuteMs;
        var forecast = DateTimeOffset.FromUnixTimeMilliseconds(minute);
        return forecast < figures.PeriodEnd ? forecast : null;
    }
}
