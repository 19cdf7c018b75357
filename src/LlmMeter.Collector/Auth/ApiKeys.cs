using System.Security.Cryptography;
using System.Text;
using LlmMeter.Collector.Hosting;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Auth;

/// <summary>
/// The configured bearer keys, kept as SHA-256 digests and compared in constant time, so neither the
/// content nor the length of a key leaks through timing. Keys are never logged.
/// </summary>
internal sealed class ApiKeys
{
    private readonly byte[]? _ingest;
    private readonly byte[]? _read;
    private readonly byte[]? _admin;
    private readonly byte[]? _metrics;

    public ApiKeys(IOptions<CollectorOptions> options)
    {
        var keys = options.Value.Keys;
        _ingest = Digest(KeyRule.Normalize(keys.Ingest));
        _read = Digest(KeyRule.Normalize(keys.Read));
        _admin = Digest(KeyRule.Normalize(keys.Admin));
        _metrics = Digest(KeyRule.Normalize(keys.Metrics));
        Enabled = keys.AnyConfigured;
    }

    /// <summary>False when no key is configured: the collector then only listens on loopback and checks nothing.</summary>
    public bool Enabled { get; }

    /// <summary>Whether the presented token matches any key, and whether it is allowed for <paramref name="scope"/>.</summary>
    public (bool Known, bool Allowed) Check(string? token, KeyScope scope)
    {
        if (!Enabled)
        {
            return (true, true);
        }

        if (string.IsNullOrEmpty(token))
        {
            return (false, false);
        }

        var digest = Digest(token)!;
        // Every comparison runs, whatever matches, to keep the timing flat.
        var isIngest = Matches(_ingest, digest);
        var isRead = Matches(_read, digest);
        var isAdmin = Matches(_admin, digest);
        var isMetrics = Matches(_metrics, digest);
        var known = isIngest | isRead | isAdmin | isMetrics;
        var allowed = isAdmin || scope switch
        {
            KeyScope.Ingest => isIngest,
            KeyScope.Read => isRead,
            KeyScope.Metrics => isMetrics | isRead,
            _ => false,
        };
        return (known, allowed);
    }

    private static bool Matches(byte[]? expected, byte[] actual) =>
        expected is not null && CryptographicOperations.FixedTimeEquals(expected, actual);

    private static byte[]? Digest(string? key) =>
        string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
