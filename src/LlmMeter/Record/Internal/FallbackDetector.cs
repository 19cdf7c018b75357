using LlmMeter.Response;

namespace LlmMeter.Record.Internal;

/// <summary>
/// Decides whether a fallback served the call. Routing metadata is exact when present; otherwise the
/// served model is compared with the requested one, tolerating variant suffixes (<c>:free</c>), dated
/// slugs (<c>-20260205</c>), aliases (<c>~...</c>, <c>-latest</c>) and routers (<c>openrouter/auto</c>).
/// </summary>
internal static class FallbackDetector
{
    public static (bool Used, int? Index) Detect(string? requested, string[]? models, string? served, ResponseFacts facts)
    {
        int? index = null;
        if (models is not null && served is not null)
        {
            for (var i = 0; i < models.Length; i++)
            {
                if (SameModel(models[i], served))
                {
                    index = i;
                    break;
                }
            }
        }

        if (facts.RoutingAttempt > 1 || facts.RoutingAttemptsCount > 1
            || string.Equals(facts.RoutingStrategy, "fallback", StringComparison.OrdinalIgnoreCase)
            || index > 0)
        {
            return (true, index);
        }

        if (facts.HasRoutingMetadata || requested is null || served is null || IsRouterOrAlias(requested))
        {
            return (false, index);
        }

        return (!SameModel(requested, served), index);
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> name one model (variant and date aside).</summary>
    public static bool SameModel(string a, string b)
    {
        var x = StripVariant(a);
        var y = StripVariant(b);
        if (x.Equals(y, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IsDatedSlugOf(x, y) || IsDatedSlugOf(y, x);
    }

    private static bool IsRouterOrAlias(string model) =>
        model.StartsWith("openrouter/", StringComparison.OrdinalIgnoreCase)
        || model.StartsWith('~')
        || StripVariant(model).EndsWith("-latest", StringComparison.OrdinalIgnoreCase);

    private static ReadOnlySpan<char> StripVariant(string model)
    {
        var colon = model.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? model.AsSpan(0, colon) : model.AsSpan();
    }

    // "anthropic/claude-4.6-opus-20260205" or "openai/gpt-4o-2024-05-13" is a dated slug of the undated id.
    private static bool IsDatedSlugOf(ReadOnlySpan<char> dated, ReadOnlySpan<char> model)
    {
        if (dated.Length <= model.Length + 1 || !dated.StartsWith(model, StringComparison.OrdinalIgnoreCase) || dated[model.Length] != '-')
        {
            return false;
        }

        var suffix = dated[(model.Length + 1)..];
        var digits = 0;
        foreach (var c in suffix)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c != '-')
            {
                return false;
            }
        }

        return digits >= 4;
    }
}
