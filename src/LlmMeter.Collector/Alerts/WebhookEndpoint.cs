using System.Security.Cryptography;
using System.Text;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Hosting;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Alerts;

/// <summary>
/// A configured webhook, validated. Deliveries refer to it by <see cref="UrlHash"/> (the URL itself may hold a
/// secret, e.g. a Slack token, so it is never stored or logged; <see cref="DisplayUrl"/> is what is shown).
/// </summary>
internal sealed record WebhookEndpoint(int Index, Uri Url, string Format, string? Secret, IReadOnlySet<string> Events)
{
    public static IReadOnlyList<string> KnownEvents { get; } =
    [
        BudgetEventTypes.ThresholdCrossed,
        BudgetEventTypes.BudgetExhausted,
        BudgetEventTypes.ForecastExhaustion,
        BudgetEventTypes.RoutingChanged,
    ];

    public string UrlHash { get; } = Hash(Url);

    public string DisplayUrl { get; } = Redact(Url.AbsoluteUri, Format);

    public bool Receives(string eventType) => Events.Count == 0 || Events.Contains(eventType);

    /// <summary>SHA-256 of the absolute URL, lowercase hex.</summary>
    public static string Hash(Uri url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)));

    /// <summary>
    /// The URL without user info, query and fragment; for Slack the last path segment (the webhook's token) is
    /// masked too. Unparseable input is shown only by its length.
    /// </summary>
    public static string Redact(string? url, string? format)
    {
        if (string.IsNullOrEmpty(url))
        {
            return string.Empty;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return $"<{url.Length} characters>";
        }

        var path = uri.AbsolutePath;
        if (WebhookFormats.Normalize(format) == WebhookFormats.Slack)
        {
            var slash = path.TrimEnd('/').LastIndexOf('/');
            path = slash >= 0 && slash < path.TrimEnd('/').Length - 1 ? path[..(slash + 1)] + "***" : path;
        }

        var query = string.IsNullOrEmpty(uri.Query) ? string.Empty : "?***";
        return $"{uri.Scheme}://{uri.Authority}{path}{query}";
    }
}

/// <summary>The configured webhooks (singleton; options are validated at start).</summary>
internal sealed class WebhookEndpoints
{
    public WebhookEndpoints(IOptions<CollectorOptions> options)
    {
        var webhooks = options.Value.Alerts.Webhooks;
        All = [.. webhooks.Select((w, i) => new WebhookEndpoint(
            i,
            new Uri(w.Url!, UriKind.Absolute),
            WebhookFormats.Normalize(w.Format),
            string.IsNullOrEmpty(w.Secret) ? null : w.Secret,
            w.EventTypes().ToHashSet(StringComparer.Ordinal)))];
    }

    public IReadOnlyList<WebhookEndpoint> All { get; }

    public WebhookEndpoint? ByHash(string urlHash) => All.FirstOrDefault(e => string.Equals(e.UrlHash, urlHash, StringComparison.Ordinal));
}
