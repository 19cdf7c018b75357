using System.Globalization;

namespace LlmMeter.Collector.Policy;

/// <summary>
/// Incoming alert webhooks (<c>Receivers</c> section), e.g. <c>--Receivers:AlertmanagerToken=...</c>,
/// <c>--Receivers:GrafanaSecret=...</c>. Without a token or secret the endpoint needs the admin key.
/// </summary>
internal sealed class ReceiverOptions
{
    public const string DefaultGrafanaSignatureHeader = "X-Grafana-Alerting-Signature";

    /// <summary>The bearer token Alertmanager sends (<c>http_config.authorization.credentials</c>).</summary>
    public string? AlertmanagerToken { get; set; }

    /// <summary>Grafana's webhook <c>hmacConfig.secret</c>: the body's HMAC-SHA256 is then required.</summary>
    public string? GrafanaSecret { get; set; }

    /// <summary>Grafana's <c>hmacConfig.header</c>.</summary>
    public string GrafanaSignatureHeader { get; set; } = DefaultGrafanaSignatureHeader;

    /// <summary>Grafana's <c>hmacConfig.timestampHeader</c>: when set, the signature covers <c>timestamp + ":" + body</c>.</summary>
    public string? GrafanaTimestampHeader { get; set; }

    /// <summary>How far a signed timestamp may be from the collector's clock (replay window).</summary>
    public TimeSpan MaxSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest webhook body accepted.</summary>
    public long MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Adds each failure to <paramref name="errors"/>, naming the setting as written in configuration.</summary>
    public void Validate(List<string> errors)
    {
        if (Auth.KeyRule.Check("Receivers:AlertmanagerToken", AlertmanagerToken) is { } tokenError)
        {
            errors.Add(tokenError);
        }

        if (GrafanaSecret is { } secret && secret.Length is > 0 and < 16)
        {
            errors.Add("Receivers:GrafanaSecret must be at least 16 characters long.");
        }

        if (!IsHeaderName(GrafanaSignatureHeader))
        {
            errors.Add($"Receivers:GrafanaSignatureHeader must be an HTTP header name (got '{GrafanaSignatureHeader}').");
        }

        if (!string.IsNullOrEmpty(GrafanaTimestampHeader) && !IsHeaderName(GrafanaTimestampHeader))
        {
            errors.Add($"Receivers:GrafanaTimestampHeader must be an HTTP header name (got '{GrafanaTimestampHeader}').");
        }

        if (MaxSkew <= TimeSpan.Zero || MaxSkew > TimeSpan.FromDays(1))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Receivers:MaxSkew must be positive and at most one day (got {MaxSkew})."));
        }

        if (MaxRequestBytes is < 1024 or > 64L * 1024 * 1024)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Receivers:MaxRequestBytes must be between 1024 and 67108864 (got {MaxRequestBytes})."));
        }
    }

    // RFC 9110 token characters.
    private static bool IsHeaderName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}
