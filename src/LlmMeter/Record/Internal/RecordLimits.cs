namespace LlmMeter.Record.Internal;

/// <summary>
/// The bounds of every record field: the collector refuses a record beyond them (naming the field), and the
/// library cuts or drops what it read from a response so that its own records always stay within them. The
/// numeric bounds are far above any real call, and keep sums of many records far from 64-bit overflow.
/// </summary>
internal static class RecordLimits
{
    public const int MaxIdLength = 256;
    public const int MaxAppLength = 200;
    public const int MaxEndpointLength = 100;

    public const int MaxTags = 64;
    public const int MaxTagKeyLength = 128;
    public const int MaxTagValueLength = 500;

    /// <summary><c>requested_model</c>, <c>served_model</c>, each <c>fallback_models</c> entry, <c>routing.original_model</c>.</summary>
    public const int MaxModelLength = 256;

    /// <summary><c>provider</c> and each <c>requested_providers</c> entry.</summary>
    public const int MaxProviderLength = 128;

    public const int MaxFinishReasonLength = 64;
    public const int MaxRuleIdLength = 128;
    public const int MaxActionLength = 32;

    /// <summary>Entries of <c>fallback_models</c> and <c>requested_providers</c>.</summary>
    public const int MaxListEntries = 64;

    public const int MaxWarnings = 32;
    public const int MaxWarningLength = 128;

    /// <summary>Each token count: 0 to a billion (no call reaches it; 5,000 such records still sum far below 2^63).</summary>
    public const long MaxTokens = 1_000_000_000;

    /// <summary><c>cost_usd</c>: 0 to 10,000 USD for one call.</summary>
    public const decimal MaxCostUsd = 10_000m;

    /// <summary><c>attempts</c> and <c>fallback_index</c>.</summary>
    public const int MaxAttempts = 1_000;

    /// <summary><c>latency_ms</c>, <c>headers_ms</c>, <c>ttft_ms</c>: finite, 0 to 7 days.</summary>
    public const double MaxDurationMs = 7 * 24 * 3_600_000.0;

    public const int MinStatusCode = 100;
    public const int MaxStatusCode = 599;

    /// <summary>The earliest <c>started_at</c>; the latest is now plus <see cref="MaxClockSkew"/>.</summary>
    public static readonly DateTimeOffset MinStartedAt = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

    /// <summary>Ends a string the library had to cut, so the cut is visible.</summary>
    public const char CutMarker = '\u2026';

    /// <summary>
    /// True when <paramref name="value"/> has a control character (Unicode category Cc: C0 controls, DEL and C1
    /// controls), never allowed in a label-like string. Two vectorised range scans.
    /// </summary>
    public static bool HasControlCharacters(ReadOnlySpan<char> value) =>
        value.ContainsAnyInRange('\u0000', '\u001F') || value.ContainsAnyInRange('\u007F', '\u009F');

    /// <summary>True when <paramref name="value"/> is at most <paramref name="maxLength"/> characters without control characters.</summary>
    public static bool Fits(string value, int maxLength) => value.Length <= maxLength && !HasControlCharacters(value);

    /// <summary>
    /// <paramref name="value"/> made to pass: control characters and lone surrogates become U+FFFD, and a value
    /// longer than <paramref name="maxLength"/> is cut to it, ending in <see cref="CutMarker"/>. The same instance
    /// when it already passes (nothing allocated on the usual path).
    /// </summary>
    public static string Fit(string value, int maxLength)
    {
        if (value.Length <= maxLength && !HasControlCharacters(value) && !HasLoneSurrogate(value))
        {
            return value;
        }

        var length = Math.Min(value.Length, maxLength);
        var cut = value.Length > maxLength;
        var chars = new char[length];
        var end = cut ? length - 1 : length;
        for (var i = 0; i < end; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (i + 1 == end)
                {
                    // The pair would be split by the cut: stop before it.
                    end = i;
                    break;
                }

                chars[i] = c;
                chars[i + 1] = value[i + 1];
                i++;
                continue;
            }

            chars[i] = char.IsControl(c) || char.IsSurrogate(c) ? '\uFFFD' : c;
        }

        if (!cut)
        {
            return new string(chars, 0, end);
        }

        chars[end] = CutMarker;
        return new string(chars, 0, end + 1);
    }

    private static bool HasLoneSurrogate(string value)
    {
        var i = value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return false;
        }

        for (; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }

        return false;
    }
}
