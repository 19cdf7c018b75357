using System.Globalization;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// Turns budget statuses into alert events: one <c>threshold_crossed</c> per threshold reached, one
/// <c>budget_exhausted</c> at 100 % of the limit, at most one <c>forecast_exhaustion</c>, and a
/// <c>routing_changed</c> per routing action taken, all per budget and period (see <see cref="BudgetEvent.DedupeKey"/>).
/// The outbox deduplicates durably; the keys enqueued by this process are remembered only to spare it the calls.
/// </summary>
internal sealed class BudgetEvents(TimeProvider time)
{
    private readonly Dictionary<string, Sent> _sent = new(StringComparer.Ordinal);

    /// <summary>The events <paramref name="status"/> calls for that this process has not enqueued yet.</summary>
    public List<BudgetEvent> Pending(BudgetStatus status)
    {
        var budget = status.Budget;
        var periodStartMs = status.PeriodStart.ToUnixTimeMilliseconds();
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{budget.Id}|{periodStartMs}|");
        var sent = SentFor(budget.Id, periodStartMs);
        var now = time.GetUtcNow();
        var events = new List<BudgetEvent>();
        void Add(string suffix, string type, double? threshold)
        {
            var key = prefix + suffix;
            if (!sent.Keys.Contains(key))
            {
                events.Add(new BudgetEvent { DedupeKey = key, Type = type, Status = status, Threshold = threshold, RoutingAction = status.ActiveAction, At = now });
            }
        }

        foreach (var threshold in budget.Thresholds)
        {
            if (status.ThresholdReached is { } reached && threshold.Percent <= reached)
            {
                Add("threshold|" + threshold.Percent.ToString(CultureInfo.InvariantCulture), BudgetEventTypes.ThresholdCrossed, threshold.Percent);
            }
        }

        if (status.SpentUsd >= budget.LimitUsd)
        {
            Add("exhausted", BudgetEventTypes.BudgetExhausted, 100);
        }

        if (status.ForecastExhaustion is not null)
        {
            Add("forecast", BudgetEventTypes.ForecastExhaustion, null);
        }

        // A change of the action in force; after a restart (nothing known) a routing action in force is announced
        // again and the outbox drops it if it was delivered before.
        var previous = sent.Action;
        if (status.ActiveAction != previous && (previous is not null || status.ActiveAction != RoutingAction.Alert))
        {
            Add("routing|" + Name(status.ActiveAction), BudgetEventTypes.RoutingChanged, status.ThresholdReached);
        }

        return events;
    }

    /// <summary>Remembers an event as enqueued (whether new to the outbox or not).</summary>
    public void Enqueued(BudgetEvent budgetEvent)
    {
        var status = budgetEvent.Status;
        var sent = SentFor(status.Budget.Id, status.PeriodStart.ToUnixTimeMilliseconds());
        sent.Keys.Add(budgetEvent.DedupeKey);
        if (budgetEvent.Type == BudgetEventTypes.RoutingChanged)
        {
            sent.Action = status.ActiveAction;
        }
    }

    /// <summary>Observes a status without an outbox to send to, so a later change is still seen as one.</summary>
    public void Observed(BudgetStatus status) => SentFor(status.Budget.Id, status.PeriodStart.ToUnixTimeMilliseconds()).Action = status.ActiveAction;

    /// <summary>Forgets budgets that no longer exist.</summary>
    public void Retain(IEnumerable<string> ids)
    {
        var keep = ids.ToHashSet(StringComparer.Ordinal);
        foreach (var id in _sent.Keys.Where(id => !keep.Contains(id)).ToList())
        {
            _sent.Remove(id);
        }
    }

    public static string Name(RoutingAction action) => action switch
    {
        RoutingAction.Alert => "alert",
        RoutingAction.Downgrade => "downgrade",
        RoutingAction.RouteFree => "route_free",
        RoutingAction.Block => "block",
        _ => action.ToString().ToLowerInvariant(),
    };

    // A new period keeps the last action known, so a rollover from block back to alert is a change.
    private Sent SentFor(string id, long periodStartMs)
    {
        if (!_sent.TryGetValue(id, out var sent) || sent.PeriodStartMs != periodStartMs)
        {
            sent = new Sent(periodStartMs) { Action = sent?.Action };
            _sent[id] = sent;
        }

        return sent;
    }

    private sealed class Sent(long periodStartMs)
    {
        public long PeriodStartMs { get; } = periodStartMs;

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        public RoutingAction? Action { get; set; }
    }
}
