using LlmMeter.Pricing;
using LlmMeter.Pricing.Internal;
using LlmMeter.Response;

namespace LlmMeter.Record.Internal;

/// <summary>
/// Decides whether a fallback served the call. Routing metadata is exact when present: when every attempt in
/// <c>attempts[]</c> names its model, a fallback is another model tried, and a provider failover (one model at several
/// providers, <c>attempt</c> above 1) is none, whatever the strategy says; an older shape without attempt models
/// counts attempts. Otherwise OpenRouter switches model only when the request allows it (a <c>models</c> list):
/// without one, a served model that differs from the request is the same model under another name (its canonical
/// slug, <c>anthropic/claude-4.6-sonnet-20260217</c> for <c>anthropic/claude-sonnet-4.6</c>). With a <c>models</c>
/// list, the served model's entry gives <c>fallback_index</c>; a served name that matches no entry is a fallback only
/// when the catalog knows it. Names are matched through the catalog's id/canonical-slug map when it knows them, else
/// by their words (<see cref="ModelNames.SameWords"/>). Routers and aliases (<c>openrouter/auto</c>, <c>~...</c>,
/// <c>-latest</c>) pick a model by design: never a fallback without metadata saying so.
/// </summary>
internal static class FallbackDetector
{
    public static (bool Used, int? Index) Detect(
        string? requested, string[]? models, string? served, ResponseFacts facts, ModelPriceCatalog catalog)
    {
        int? index = null;
        if (models is not null && served is not null)
        {
            for (var i = 0; i < models.Length; i++)
            {
                if (SameModel(models[i], served, catalog))
                {
                    index = i;
                    break;
                }
            }
        }

        if (index > 0)
        {
            return (true, index);
        }

        if (facts.RoutingAttemptModels is { Known: true } attempts)
        {
            return (AttemptedAnotherModel(attempts.Names, catalog), index);
        }

        if (facts.RoutingAttempt > 1 || facts.RoutingAttemptsCount > 1
            || string.Equals(facts.RoutingStrategy, "fallback", StringComparison.OrdinalIgnoreCase))
        {
            return (true, index);
        }

        if (facts.HasRoutingMetadata || requested is null || served is null || IsRouterOrAlias(requested)
            || models is not { Length: > 0 })
        {
            return (false, index);
        }

        // The request allowed a fallback: the served model is one unless it is the requested one. A name that matches
        // no entry is claimed only when the catalog knows it (a canonical slug the words do not reveal is not a fallback).
        if (SameModel(requested, served, catalog))
        {
            return (false, index);
        }

        return (index is not null || catalog.CanonicalOf(served) is not null, index);
    }

    /// <summary>
    /// True when the attempts name more than one model: then some attempt's model is not the served one. The served
    /// model is one of the attempts' (the last), so a single model tried is the served one even when the response
    /// names it otherwise (a canonical slug only a catalog links to the id the attempts use).
    /// </summary>
    private static bool AttemptedAnotherModel(ReadOnlySpan<string> names, ModelPriceCatalog catalog)
    {
        for (var i = 1; i < names.Length; i++)
        {
            if (!SameModel(names[0], names[i], catalog))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> name one model.</summary>
    public static bool SameModel(string a, string b, ModelPriceCatalog catalog) =>
        ModelNames.SameWords(a, b)
        || (catalog.CanonicalOf(a) is { } slug && string.Equals(slug, catalog.CanonicalOf(b), StringComparison.OrdinalIgnoreCase));

    /// <summary>A router or alias picks its model: the served one is never the same name.</summary>
    public static bool IsRouterOrAlias(string model) =>
        model.StartsWith("openrouter/", StringComparison.OrdinalIgnoreCase)
        || model.StartsWith('~')
        || ModelNames.StripVariant(model).EndsWith("-latest", StringComparison.OrdinalIgnoreCase);
}
