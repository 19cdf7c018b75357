using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// A budget as configured (appsettings <c>Budgets</c> array) or sent to <c>/v1/budgets</c>. Scope members that are
/// null match anything; <see cref="PolicyScope.Model"/> is a glob matched against the served model (else the
/// requested one), as spend is grouped; <see cref="PolicyScope.Tag"/> is <c>key=value</c>.
/// </summary>
internal sealed record BudgetDefinition
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public PolicyScope Scope { get; init; } = new();

    public BudgetPeriodKind Period { get; init; } = BudgetPeriodKind.Month;

    /// <summary>IANA zone of the calendar periods; UTC when null.</summary>
    public string? Timezone { get; init; }

    public required decimal LimitUsd { get; init; }

    /// <summary>Percentages of the limit with their action (alert, downgrade with a model map, route_free with a free model, block).</summary>
    public IReadOnlyList<PolicyThreshold> Thresholds { get; init; } = [];

    /// <summary><c>config</c> for budgets from configuration (read-only through the API), <c>api</c> otherwise.</summary>
    public string Source { get; init; } = "api";
}

/// <summary>A budget's state in its current period.</summary>
internal sealed record BudgetStatus
{
    public required BudgetDefinition Budget { get; init; }

    public required DateTimeOffset PeriodStart { get; init; }

    public required DateTimeOffset PeriodEnd { get; init; }

    public required decimal SpentUsd { get; init; }

    /// <summary>When spend reaches the limit at the recent rate, if before the period ends; null otherwise.</summary>
    public DateTimeOffset? ForecastExhaustion { get; init; }

    /// <summary>The highest threshold reached (percent), or null.</summary>
    public double? ThresholdReached { get; init; }

    /// <summary>The routing action in force from the thresholds reached (alert when none routes).</summary>
    public RoutingAction ActiveAction { get; init; }

    /// <summary>The share of the limit still unspent: (limit - spent) / limit, never below 0.</summary>
    public decimal RemainingRatio => Budget.LimitUsd > 0m ? Math.Max(0m, (Budget.LimitUsd - SpentUsd) / Budget.LimitUsd) : 0m;
}

/// <summary>Current budgets and their spend, kept up to date as records are ingested.</summary>
internal interface IBudgetState
{
    /// <summary>Every budget with its current-period state, ordered by id.</summary>
    IReadOnlyList<BudgetStatus> Current { get; }

    /// <summary>Changes whenever a budget or its spend changes (for ETags and caches).</summary>
    long Version { get; }
}

/// <summary>Alert event types sent to webhooks.</summary>
internal static class BudgetEventTypes
{
    public const string ThresholdCrossed = "threshold_crossed";
    public const string BudgetExhausted = "budget_exhausted";
    public const string ForecastExhaustion = "forecast_exhaustion";
    public const string RoutingChanged = "routing_changed";
}

/// <summary>
/// Something webhooks must hear about. <see cref="DedupeKey"/> makes it exactly-once across restarts, e.g.
/// <c>{budget}|{period start ms}|threshold|80</c>, <c>…|forecast</c>, <c>…|routing|downgrade</c>.
/// </summary>
internal sealed record BudgetEvent
{
    public required string DedupeKey { get; init; }

    public required string Type { get; init; }

    public required BudgetStatus Status { get; init; }

    /// <summary>The threshold crossed (percent), for threshold_crossed and budget_exhausted.</summary>
    public double? Threshold { get; init; }

    /// <summary>The routing action now in force, for routing_changed (and the others, for context).</summary>
    public RoutingAction? RoutingAction { get; init; }

    public required DateTimeOffset At { get; init; }
}

/// <summary>The persisted outbox of alert events; enqueueing the same <see cref="BudgetEvent.DedupeKey"/> twice is a no-op.</summary>
internal interface IAlertOutbox
{
    /// <summary>Stores the event durably (and its deliveries to every subscribed endpoint); false when it was already there.</summary>
    Task<bool> EnqueueAsync(BudgetEvent budgetEvent, CancellationToken cancellationToken);
}

/// <summary>Routing overrides created by firing Alertmanager/Grafana alerts.</summary>
internal interface IRoutingOverrides
{
    IReadOnlyList<PolicyOverride> Active { get; }

    long Version { get; }
}
