using LlmMeter.Record.Internal;

namespace LlmMeter.Internal;

/// <summary>
/// Limits on tag keys and values, shared by options, scopes and the tag header: within the record's
/// (<see cref="RecordLimits"/>; values are held shorter here), so the collector never refuses a record for its tags.
/// The count of tags is bounded when the record is built.
/// </summary>
internal static class TagRules
{
    /// <summary>The longest key or value (keys: <see cref="RecordLimits.MaxTagKeyLength"/>); also the longest <c>App</c>.</summary>
    public const int MaxLength = RecordLimits.MaxTagKeyLength;

    public const string HeaderName = "X-LlmMeter-Tags";

    /// <summary>The rule in words, for error messages.</summary>
    public static readonly string Rule =
        $"keys must be non-empty, keys and values at most {MaxLength} characters, without control characters";

    public static bool IsValid(string? key, string? value) =>
        !string.IsNullOrWhiteSpace(key) && key.Length <= MaxLength && value is not null && value.Length <= MaxLength
        && !RecordLimits.HasControlCharacters(key) && !RecordLimits.HasControlCharacters(value);

    public static void ThrowIfInvalid(string? key, string? value)
    {
        if (!IsValid(key, value))
        {
            throw new ArgumentException($"LlmMeter tag '{key}' is invalid: {Rule}.");
        }
    }

    /// <summary>Parses <c>team=search, feature=summarize</c>; returns false when any entry is malformed (valid ones are kept).</summary>
    public static bool TryParseHeader(IEnumerable<string> headerValues, Dictionary<string, string> into)
    {
        var ok = true;
        foreach (var headerValue in headerValues)
        {
            foreach (var part in headerValue.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    ok = false;
                    continue;
                }

                var key = part[..eq].Trim();
                var value = part[(eq + 1)..].Trim();
                if (IsValid(key, value))
                {
                    into[key] = value;
                }
                else
                {
                    ok = false;
                }
            }
        }

        return ok;
    }
}
