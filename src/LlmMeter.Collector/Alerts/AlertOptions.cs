using System.Globalization;
using LlmMeter.Collector.Budgets;

namespace LlmMeter.Collector.Alerts;

/// <summary>
/// Outgoing budget alert webhooks (<c>Alerts</c> section), e.g. <c>--Alerts:Webhooks:0:Url=https://...</c>,
/// <c>--Alerts:Webhooks:0:Format=slack</c>, <c>--Alerts:Webhooks:0:Events:0=budget_exhausted</c>.
/// </summary>
internal sealed class AlertOptions
{
    public List<AlertWebhookOptions> Webhooks { get; set; } = [];

    /// <summary>How long after the event a delivery is retried; then it is <c>expired</c>.</summary>
    public TimeSpan MaxDeliveryAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Per HTTP attempt; a timeout is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after the first failed attempt; doubled after each further one (with jitter).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Adds each failure to <paramref name="errors"/>, naming the setting as written in configuration.</summary>
    public void Validate(List<string> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"Alerts:Webhooks:{i}:");
            var webhook = Webhooks[i];
            if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
            {
                errors.Add($"{prefix}Url must be an absolute http(s) URL (got '{WebhookEndpoint.Redact(webhook.Url, webhook.Format)}').");
            }
            else if (seen.TryGetValue(url.AbsoluteUri, out var first))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}Url is the same endpoint as Alerts:Webhooks:{first}:Url; list each endpoint once."));
            }
            else
            {
                seen[url.AbsoluteUri] = i;
            }

            if (!WebhookFormats.IsKnown(webhook.Format))
            {
                errors.Add($"{prefix}Format must be 'json' or 'slack' (got '{webhook.Format}').");
            }

            if (webhook.Secret is { } secret && secret.Length is > 0 and < 16)
            {
                errors.Add($"{prefix}Secret must be at least 16 characters long.");
            }

            var events = webhook.EventTypes();
            for (var e = 0; e < events.Count; e++)
            {
                if (!WebhookEndpoint.KnownEvents.Contains(events[e]))
                {
                    errors.Add($"{prefix}Events has unknown event '{events[e]}' (known: {string.Join(", ", WebhookEndpoint.KnownEvents)}).");
                }
            }
        }

        CheckPositive(errors, "Alerts:MaxDeliveryAge", MaxDeliveryAge);
        CheckPositive(errors, "Alerts:RequestTimeout", RequestTimeout);
        CheckPositive(errors, "Alerts:InitialBackoff", InitialBackoff);
        CheckPositive(errors, "Alerts:MaxBackoff", MaxBackoff);
        if (MaxBackoff < InitialBackoff)
        {
            errors.Add($"Alerts:MaxBackoff must not be shorter than Alerts:InitialBackoff (got {MaxBackoff} < {InitialBackoff}).");
        }

        if (RequestTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Alerts:RequestTimeout must be at most 10 minutes (got {RequestTimeout}).");
        }
    }

    private static void CheckPositive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{setting} must be positive (got {value}).");
        }
    }
}

/// <summary>One receiver of alert events.</summary>
internal sealed class AlertWebhookOptions
{
    /// <summary>Where events are POSTed; http or https.</summary>
    public string? Url { get; set; }

    /// <summary><c>json</c> (the documented payload) or <c>slack</c> (a Slack incoming webhook message).</summary>
    public string Format { get; set; } = WebhookFormats.Json;

    /// <summary>When set, every delivery carries <c>X-LlmMeter-Signature</c> (HMAC-SHA256 with this secret).</summary>
    public string? Secret { get; set; }

    /// <summary>The event types this endpoint receives (<see cref="BudgetEventTypes"/>); empty means all.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>The listed events, trimmed; an entry may also list several separated by commas (handy in environment variables).</summary>
    public IReadOnlyList<string> EventTypes() =>
        [.. Events.SelectMany(e => (e ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(e => e.ToLowerInvariant())];
}

internal static class WebhookFormats
{
    public const string Json = "json";
    public const string Slack = "slack";

    public static bool IsKnown(string? format) => Normalize(format) is Json or Slack;

    public static string Normalize(string? format) => (format ?? string.Empty).Trim().ToLowerInvariant();
}
