namespace LlmMeter.Record.Internal;

/// <summary>
/// Keeps what the library read from requests and responses within <see cref="RecordLimits"/>, so the collector
/// never refuses one of its records: a string too long is cut (ending in <see cref="RecordLimits.CutMarker"/>),
/// control characters and lone surrogates become U+FFFD, a number out of range is dropped (null); each change adds a
/// warning naming the field (<c>served_model_truncated</c>, <c>provider_cleaned</c>, <c>output_tokens_out_of_range</c>).
/// Values that already fit are returned as they are, without allocating.
/// </summary>
internal static class RecordFitter
{
    public static string? Text(string? value, int maxLength, string field, ref List<string>? warnings)
    {
        if (value is null)
        {
            return null;
        }

        var fitted = RecordLimits.Fit(value, maxLength);
        if (!ReferenceEquals(fitted, value))
        {
            Warn(ref warnings, field + (value.Length > maxLength ? "_truncated" : "_cleaned"));
        }

        return fitted;
    }

    /// <summary>At most <paramref name="maxEntries"/> entries, each fitted to <paramref name="maxLength"/>.</summary>
    public static IReadOnlyList<string>? List(string[]? items, int maxEntries, int maxLength, string field, ref List<string>? warnings)
    {
        if (items is null)
        {
            return null;
        }

        var fits = items.Length <= maxEntries;
        for (var i = 0; fits && i < items.Length; i++)
        {
            fits = items[i] is { } item && Fits(item, maxLength);
        }

        if (fits)
        {
            return Array.AsReadOnly(items);
        }

        Warn(ref warnings, field + "_truncated");
        var fitted = new string[Math.Min(items.Length, maxEntries)];
        for (var i = 0; i < fitted.Length; i++)
        {
            fitted[i] = RecordLimits.Fit(items[i] ?? string.Empty, maxLength);
        }

        return Array.AsReadOnly(fitted);
    }

    public static long? Count(long? value, long max, string field, ref List<string>? warnings)
    {
        if (value is not { } count || (count >= 0 && count <= max))
        {
            return value;
        }

        Warn(ref warnings, field + "_out_of_range");
        return null;
    }

    public static int? Count(int? value, int max, string field, ref List<string>? warnings) =>
        (int?)Count((long?)value, max, field, ref warnings);

    public static decimal? Cost(decimal? value, ref List<string>? warnings)
    {
        if (value is not { } cost || (cost >= 0m && cost <= RecordLimits.MaxCostUsd))
        {
            return value;
        }

        Warn(ref warnings, "cost_usd_out_of_range");
        return null;
    }

    public static double? Duration(double? value, string field, ref List<string>? warnings)
    {
        if (value is not { } ms || ms is >= 0 and <= RecordLimits.MaxDurationMs)
        {
            return value;
        }

        Warn(ref warnings, field + "_out_of_range");
        return null;
    }

    public static int? StatusCode(int? value, ref List<string>? warnings)
    {
        if (value is null or (>= RecordLimits.MinStatusCode and <= RecordLimits.MaxStatusCode))
        {
            return value;
        }

        Warn(ref warnings, "status_code_out_of_range");
        return null;
    }

    /// <summary>The tags when they fit; else the entries that do (keys in order), at most <see cref="RecordLimits.MaxTags"/>.</summary>
    public static IReadOnlyDictionary<string, string> Tags(IReadOnlyDictionary<string, string> tags, ref List<string>? warnings)
    {
        var fits = tags.Count <= RecordLimits.MaxTags;
        if (fits)
        {
            foreach (var (key, value) in tags)
            {
                if (!TagFits(key, value))
                {
                    fits = false;
                    break;
                }
            }
        }

        if (fits)
        {
            return tags;
        }

        Warn(ref warnings, "tags_truncated");
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags.Where(t => TagFits(t.Key, t.Value)).OrderBy(t => t.Key, StringComparer.Ordinal).Take(RecordLimits.MaxTags))
        {
            kept[key] = value;
        }

        return kept.AsReadOnly();
    }

    public static LlmRoutingInfo? Routing(LlmRoutingInfo? routing, ref List<string>? warnings)
    {
        if (routing is null)
        {
            return null;
        }

        List<string>? changed = null;
        var ruleId = Text(routing.RuleId, RecordLimits.MaxRuleIdLength, "routing", ref changed)!;
        var action = Text(routing.Action, RecordLimits.MaxActionLength, "routing", ref changed)!;
        var original = Text(routing.OriginalModel, RecordLimits.MaxModelLength, "routing", ref changed);
        if (changed is null)
        {
            return routing;
        }

        Warn(ref warnings, changed[0]);
        return new LlmRoutingInfo(ruleId, action, original);
    }

    /// <summary>At most <see cref="RecordLimits.MaxWarnings"/> warnings (all the library's are short constants).</summary>
    public static IReadOnlyList<string>? Warnings(List<string>? warnings) =>
        warnings is null ? null
        : Array.AsReadOnly(warnings.Count <= RecordLimits.MaxWarnings ? warnings.ToArray() : warnings.GetRange(0, RecordLimits.MaxWarnings).ToArray());

    public static void Warn(ref List<string>? warnings, string warning)
    {
        warnings ??= new List<string>(2);
        if (!warnings.Contains(warning))
        {
            warnings.Add(warning);
        }
    }

    private static bool TagFits(string key, string? value) =>
        key.Length > 0 && Fits(key, RecordLimits.MaxTagKeyLength) && value is not null && Fits(value, RecordLimits.MaxTagValueLength);

    private static bool Fits(string value, int maxLength) => ReferenceEquals(RecordLimits.Fit(value, maxLength), value);
}
