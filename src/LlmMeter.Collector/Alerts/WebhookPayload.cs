using System.Globalization;
using System.Text.Json;
using LlmMeter.Collector.Budgets;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Alerts;

/// <summary>
/// The JSON body POSTed to <c>json</c> webhooks, fixed when the event is enqueued (retries send the same bytes).
/// Every key is always present; times are UTC ISO 8601 with milliseconds, amounts are JSON numbers in USD:
/// <code>
/// {
///   "id": "0193...",                      // event id (GUID), also in X-LlmMeter-Event-Id
///   "type": "threshold_crossed",          // threshold_crossed | budget_exhausted | forecast_exhaustion | routing_changed
///   "occurred_at": "2026-11-27T10:15:00.000Z",
///   "budget": {
///     "id": "search-monthly", "name": "Search API monthly",
///     "scope": { "app": "search-api", "team": null, "tag": null, "model": null, "provider": null }  // null = any
///   },
///   "period": { "kind": "month", "timezone": "UTC", "start": "2026-11-01T00:00:00.000Z", "end": "2026-12-01T00:00:00.000Z" },
///   "limit_usd": 100,
///   "spent_usd": 80.25,
///   "threshold_percent": 80,              // null for forecast_exhaustion and routing_changed unless one applies
///   "forecast_exhaustion_at": null,       // when spend reaches the limit at the recent rate, if before the period ends
///   "routing_action": "downgrade",        // alert | downgrade | route_free | block: what is in force now
///   "source": "llmmeter"
/// }
/// </code>
/// </summary>
internal static class WebhookPayload
{
    public static byte[] Json(string eventId, BudgetEvent budgetEvent)
    {
        ArgumentNullException.ThrowIfNull(budgetEvent);
        var status = budgetEvent.Status;
        var budget = status.Budget;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", eventId);
            writer.WriteString("type", budgetEvent.Type);
            writer.WriteString("occurred_at", Time(budgetEvent.At));
            writer.WriteStartObject("budget");
            writer.WriteString("id", budget.Id);
            writer.WriteString("name", budget.Name);
            writer.WriteStartObject("scope");
            writer.WriteString("app", budget.Scope.App);
            writer.WriteString("team", budget.Scope.Team);
            writer.WriteString("tag", budget.Scope.Tag);
            writer.WriteString("model", budget.Scope.Model);
            writer.WriteString("provider", budget.Scope.Provider);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartObject("period");
            writer.WriteString("kind", budget.Period.ToString().ToLowerInvariant());
            writer.WriteString("timezone", budget.Timezone ?? "UTC");
            writer.WriteString("start", Time(status.PeriodStart));
            writer.WriteString("end", Time(status.PeriodEnd));
            writer.WriteEndObject();
            writer.WriteNumber("limit_usd", budget.LimitUsd);
            writer.WriteNumber("spent_usd", status.SpentUsd);
            WriteNullable(writer, "threshold_percent", budgetEvent.Threshold);
            writer.WriteString("forecast_exhaustion_at", status.ForecastExhaustion is { } forecast ? Time(forecast) : null);
            writer.WriteString("routing_action", ActionName(budgetEvent.RoutingAction ?? status.ActiveAction));
            writer.WriteString("source", "llmmeter");
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>snake_case, as the policy JSON writes it.</summary>
    public static string ActionName(RoutingAction action) => action switch
    {
        RoutingAction.Downgrade => "downgrade",
        RoutingAction.RouteFree => "route_free",
        RoutingAction.Block => "block",
        _ => "alert",
    };

    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number && double.IsFinite(number))
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
