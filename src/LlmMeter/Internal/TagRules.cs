namespace LlmMeter.Internal;

/// <summary>Limits on tag keys and values, shared by options, scopes and the tag header.</summary>
internal static class TagRules
{
    public const int MaxLength = 128;
    public const string HeaderName = "X-LlmMeter-Tags";

    public static bool IsValid(string? key, string? value) =>
        !string.IsNullOrWhiteSpace(key) && key.Length <= MaxLength && value is not null && value.Length <= MaxLength;

    public static void ThrowIfInvalid(string? key, string? value)
    {
        if (!IsValid(key, value))
        {
            throw new ArgumentException(
                $"LlmMeter tag '{key}' is invalid: keys must be non-empty and keys and values at most {MaxLength} characters.");
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
