using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LlmMeter.Collector.Alerts;

/// <summary>
/// <c>X-LlmMeter-Signature: t=&lt;unix seconds&gt;,v1=&lt;lowercase hex HMAC-SHA256(secret, t + "." + body)&gt;</c>,
/// over the exact body bytes sent. The timestamp lets receivers refuse replays (e.g. older than 5 minutes).
/// </summary>
internal static class AlertSignature
{
    public const string HeaderName = "X-LlmMeter-Signature";

    public static string Header(string secret, long unixSeconds, ReadOnlySpan<byte> body) =>
        string.Create(CultureInfo.InvariantCulture, $"t={unixSeconds},v1={Compute(secret, unixSeconds, body)}");

    /// <summary>Lowercase hex HMAC-SHA256 with the UTF-8 secret as key over <c>"{t}." + body</c>.</summary>
    public static string Compute(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
