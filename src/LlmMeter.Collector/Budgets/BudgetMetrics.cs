using System.Diagnostics.Metrics;
using LlmMeter.Collector.Metrics;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// Budget gauges on the collector's meter (<see cref="CollectorMetrics.MeterName"/>, from the host's
/// <see cref="IMeterFactory"/>, so they are exported at <c>/metrics</c> with the rest), observed from
/// <see cref="IBudgetState"/> at each scrape: <c>llmmeter_budget_limit_usd</c>, <c>llmmeter_budget_spent_usd</c>,
/// <c>llmmeter_budget_remaining_ratio</c>, <c>llmmeter_budget_period_end_timestamp_seconds</c>,
/// <c>llmmeter_budget_forecast_exhaustion_timestamp_seconds</c> (budgets with a forecast only), all <c>{budget}</c>,
/// and <c>llmmeter_routing_rule_active{budget,action}</c>: for each budget with routing thresholds, one series per
/// routing action it can take (downgrade, route_free, block), 1 for the one in force and 0 for the others.
/// </summary>
/// <remarks>No units are given: the exporter would append them, and the names already carry them.</remarks>
internal sealed class BudgetMetrics
{
    public BudgetMetrics(IMeterFactory meterFactory, IBudgetState state)
    {
        var meter = meterFactory.Create(CollectorMetrics.MeterName, typeof(CollectorMetrics).Assembly.GetName().Version?.ToString());
        meter.CreateObservableGauge(
            "llmmeter.budget.limit_usd",
            () => PerBudget(state, s => (double)s.Budget.LimitUsd),
            unit: null,
            "Budget limit for the current period, USD.");
        meter.CreateObservableGauge(
            "llmmeter.budget.spent_usd",
            () => PerBudget(state, s => (double)s.SpentUsd),
            unit: null,
            "Spend in the budget's current period, USD.");
        meter.CreateObservableGauge(
            "llmmeter.budget.remaining_ratio",
            () => PerBudget(state, s => (double)s.RemainingRatio),
            unit: null,
            "Share of the budget's limit left in the current period (0 when spent).");
        meter.CreateObservableGauge(
            "llmmeter.budget.period_end_timestamp_seconds",
            () => PerBudget(state, s => s.PeriodEnd.ToUnixTimeMilliseconds() / 1000.0),
            unit: null,
            "End of the budget's current period, Unix seconds.");
        meter.CreateObservableGauge(
            "llmmeter.budget.forecast_exhaustion_timestamp_seconds",
            () => state.Current
                .Where(s => s.ForecastExhaustion is not null)
                .Select(s => new Measurement<double>(s.ForecastExhaustion!.Value.ToUnixTimeMilliseconds() / 1000.0, Budget(s))),
            unit: null,
            "When the budget runs out at the recent spend rate, Unix seconds; only for budgets projected to run out before the period ends.");
        meter.CreateObservableGauge(
            "llmmeter.routing_rule.active",
            () => RoutingRules(state),
            unit: null,
            "1 for the routing action a budget has in force, 0 for its other routing actions.");
    }

    private static IEnumerable<Measurement<double>> PerBudget(IBudgetState state, Func<BudgetStatus, double> value) =>
        state.Current.Select(s => new Measurement<double>(value(s), Budget(s)));

    private static IEnumerable<Measurement<long>> RoutingRules(IBudgetState state)
    {
        foreach (var status in state.Current)
        {
            foreach (var action in status.Budget.Thresholds.Select(t => t.Action).Where(a => a != RoutingAction.Alert).Distinct().Order())
            {
                yield return new Measurement<long>(
                    action == status.ActiveAction ? 1 : 0,
                    new KeyValuePair<string, object?>("budget", status.Budget.Id),
                    new KeyValuePair<string, object?>("action", BudgetEvents.Name(action)));
            }
        }
    }

    private static KeyValuePair<string, object?> Budget(BudgetStatus status) => new("budget", status.Budget.Id);
}
