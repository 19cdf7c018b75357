using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Budgets;

namespace LlmMeter.Collector.Alerts;

/// <summary>
/// The body for <c>slack</c> webhooks (a Slack incoming webhook): <c>{"text": "...", "blocks": [...]}</c>, rendered
/// from the stored JSON payload so every retry sends the same message. <c>text</c> is one readable paragraph
/// (also the notification text); the blocks repeat it and add the event id and scope as context.
/// </summary>
internal static class SlackMessage
{
    public static byte[] Render(string payloadJson)
    {
        using var document = JsonDocument.Parse(payloadJson);
        var root = document.RootElement;
        var text = Text(root);
        var context = Context(root);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("text", text);
            writer.WriteStartArray("blocks");
            writer.WriteStartObject();
            writer.WriteString("type", "section");
            writer.WriteStartObject("text");
            writer.WriteString("type", "mrkdwn");
            writer.WriteString("text", text);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartObject();
            writer.WriteString("type", "context");
            writer.WriteStartArray("elements");
            writer.WriteStartObject();
            writer.WriteString("type", "mrkdwn");
            writer.WriteString("text", context);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The one-paragraph message, in Slack mrkdwn with user text escaped.</summary>
    public static string Text(JsonElement payload)
    {
        var budget = payload.GetProperty("budget");
        var name = $"*{Escape(budget.GetProperty("name").GetString())}* (`{Escape(budget.GetProperty("id").GetString())}`)";
        var limit = payload.GetProperty("limit_usd").GetDecimal();
        var spent = payload.GetProperty("spent_usd").GetDecimal();
        var period = payload.GetProperty("period");
        var zoneId = period.GetProperty("timezone").GetString();
        var zone = zoneId is not null && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var found) ? found : TimeZoneInfo.Utc;
        var periodText = $"the {Escape(period.GetProperty("kind").GetString())} from {Local(period, "start", zone)} to {Local(period, "end", zone)} {Escape(zoneId)}";
        var spentText = string.Create(CultureInfo.InvariantCulture, $"{Usd(spent)} of {Usd(limit)} spent ({Percent(spent, limit)}) in {periodText}");
        var action = payload.GetProperty("routing_action").GetString();
        var routing = action is null or "alert" ? string.Empty : $" Routing now in force: *{Escape(action)}*.";
        var threshold = payload.GetProperty("threshold_percent") is { ValueKind: JsonValueKind.Number } t
            ? t.GetDouble().ToString("0.##", CultureInfo.InvariantCulture) + "%"
            : null;
        var type = payload.GetProperty("type").GetString();
        return type switch
        {
            BudgetEventTypes.BudgetExhausted =>
                $":rotating_light: LlmMeter budget {name} is exhausted: {spentText}.{routing}",
            BudgetEventTypes.ForecastExhaustion =>
                $":chart_with_upwards_trend: LlmMeter budget {name} is projected to run out {When(payload.GetProperty("forecast_exhaustion_at"))}, before its period ends: {spentText}.{routing}",
            BudgetEventTypes.RoutingChanged =>
                $":twisted_rightwards_arrows: LlmMeter budget {name} changed routing to *{Escape(action)}*: {spentText}.",
            _ =>
                $":warning: LlmMeter budget {name} crossed {threshold ?? "a threshold"} of its limit: {spentText}.{routing}",
        };
    }

    private static string Context(JsonElement payload)
    {
        var scope = payload.GetProperty("budget").GetProperty("scope");
        var parts = scope.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .Select(p => $"{p.Name}={p.Value.GetString()}")
            .ToList();
        var scopeText = parts.Count == 0 ? "all calls" : string.Join(", ", parts);
        return $"Scope: {Escape(scopeText)} · event {Escape(payload.GetProperty("id").GetString())} · {Escape(payload.GetProperty("type").GetString())}";
    }

    private static string Usd(decimal value) => "$" + value.ToString(value >= 1 ? "#,0.00" : "0.00##", CultureInfo.InvariantCulture);

    private static string Percent(decimal spent, decimal limit) =>
        limit <= 0 ? "n/a" : (spent / limit).ToString("0.#%", CultureInfo.InvariantCulture);

    private static string Local(JsonElement period, string name, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(period.GetProperty(name).GetDateTimeOffset(), zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string When(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
            ? "at " + value.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
            : "soon";

    /// <summary>Slack needs only &amp;, &lt; and &gt; escaped in message text.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }
}
