using System.Text.Json;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Query;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// A budget as the API shows it: its definition (the shape POST and PUT take), <c>source</c> (<c>api</c> or
/// <c>config</c>) and its <c>status</c> in the current period. Times are ISO 8601 UTC with milliseconds.
/// </summary>
internal sealed record BudgetResource
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required PolicyScope Scope { get; init; }

    public required BudgetPeriodKind Period { get; init; }

    public required string Timezone { get; init; }

    public required decimal LimitUsd { get; init; }

    public required IReadOnlyList<PolicyThreshold> Thresholds { get; init; }

    public string? Source { get; init; }

    public BudgetStatusResource? Status { get; init; }

    public static BudgetResource From(BudgetDefinition budget, BudgetStatus? status) => new()
    {
        Id = budget.Id,
        Name = budget.Name,
        Scope = budget.Scope,
        Period = budget.Period,
        Timezone = budget.Timezone ?? "UTC",
        LimitUsd = budget.LimitUsd,
        Thresholds = budget.Thresholds,
        Source = budget.Source,
        Status = status is null ? null : BudgetStatusResource.From(status),
    };
}

/// <summary>A budget's state: the current period, spend, the share left, the forecast, the highest threshold reached and the action in force.</summary>
internal sealed record BudgetStatusResource(
    string PeriodStart,
    string PeriodEnd,
    decimal SpentUsd,
    decimal RemainingRatio,
    string? ForecastExhaustion,
    double? ThresholdReached,
    RoutingAction ActiveAction)
{
    public static BudgetStatusResource From(BudgetStatus status) => new(
        Wire.Time(status.PeriodStart),
        Wire.Time(status.PeriodEnd),
        status.SpentUsd,
        decimal.Round(status.RemainingRatio, 6, MidpointRounding.ToZero),
        status.ForecastExhaustion is { } forecast ? Wire.Time(forecast) : null,
        status.ThresholdReached,
        status.ActiveAction);
}

/// <summary>The budgets list: <c>{"budgets": [...]}</c>, ordered by id.</summary>
internal sealed record BudgetList(IReadOnlyList<BudgetResource> Budgets);

internal static class BudgetJson
{
    /// <summary>The collector's API JSON options (snake_case, enums as snake_case strings, nulls omitted).</summary>
    public static readonly JsonSerializerOptions Options = CreateOptions();

    /// <summary>The definition alone, as stored in <c>budgets.definition_json</c> (what a PUT would send).</summary>
    public static string Definition(BudgetDefinition budget) =>
        JsonSerializer.Serialize(BudgetResource.From(budget, status: null) with { Source = null }, Options);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions();
        CollectorApp.ConfigureJson(options);
        options.MakeReadOnly();
        return options;
    }
}
