using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Hosting;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Policy;

/// <summary>
/// Authentication of the incoming alert webhooks: Alertmanager's bearer token and Grafana's HMAC signature,
/// both compared in constant time. Secrets are held as bytes here and never logged.
/// </summary>
internal sealed class ReceiverAuth
{
    private readonly byte[]? _alertmanagerTokenDigest;
    private readonly byte[]? _grafanaSecret;
    private readonly TimeProvider _time;

    public ReceiverAuth(IOptions<CollectorOptions> options, TimeProvider time)
    {
        var receivers = options.Value.Receivers;
        Options = receivers;
        _time = time;
        _alertmanagerTokenDigest = KeyRule.Normalize(receivers.AlertmanagerToken) is { } token ? Digest(token) : null;
        _grafanaSecret = string.IsNullOrEmpty(receivers.GrafanaSecret) ? null : Encoding.UTF8.GetBytes(receivers.GrafanaSecret);
    }

    public ReceiverOptions Options { get; }

    public bool HasAlertmanagerToken => _alertmanagerTokenDigest is not null;

    public bool HasGrafanaSecret => _grafanaSecret is not null;

    /// <summary>The configured token (or, as everywhere, the admin key) as <c>Authorization: Bearer</c>.</summary>
    public bool IsAlertmanagerAuthorized(HttpRequest request, ApiKeys keys)
    {
        var token = KeyAuthorization.BearerToken(request);
        if (string.IsNullOrEmpty(token) || _alertmanagerTokenDigest is null)
        {
            return false;
        }

        // Both checks always run, to keep the timing flat.
        var isToken = CryptographicOperations.FixedTimeEquals(_alertmanagerTokenDigest, Digest(token));
        var isAdmin = keys.Enabled && keys.Check(token, KeyScope.Admin).Allowed;
        return isToken | isAdmin;
    }

    /// <summary>Null when Grafana's signature over <paramref name="body"/> is valid, else why not (for the 401).</summary>
    public string? CheckGrafanaSignature(HttpRequest request, ReadOnlySpan<byte> body)
    {
        var signatureText = request.Headers[Options.GrafanaSignatureHeader].ToString().Trim();
        if (signatureText.Length == 0)
        {
            return $"The {Options.GrafanaSignatureHeader} header is missing: this endpoint needs Grafana's HMAC signature (hmacConfig).";
        }

        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _grafanaSecret!);
        if (!string.IsNullOrEmpty(Options.GrafanaTimestampHeader))
        {
            var timestampText = request.Headers[Options.GrafanaTimestampHeader].ToString().Trim();
            if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return $"The {Options.GrafanaTimestampHeader} header must hold the signing time in Unix seconds.";
            }

            var skew = _time.GetUtcNow().ToUnixTimeSeconds() - seconds;
            if (Math.Abs(skew) > (long)Options.MaxSkew.TotalSeconds)
            {
                return string.Create(CultureInfo.InvariantCulture, $"The signed timestamp is {skew} s away from the collector's clock (at most {Options.MaxSkew.TotalSeconds:0} s allowed).");
            }

            hmac.AppendData(Encoding.ASCII.GetBytes(timestampText + ":"));
        }

        hmac.AppendData(body);
        Span<byte> expected = stackalloc byte[32];
        hmac.GetHashAndReset(expected);
        Span<byte> given = stackalloc byte[32];
        // Same length, then a fixed-time comparison: nothing about the right signature leaks.
        return signatureText.Length == 64 && Convert.FromHexString(signatureText, given, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == 32 && CryptographicOperations.FixedTimeEquals(expected, given)
            ? null
            : $"The {Options.GrafanaSignatureHeader} signature does not match the body.";
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
