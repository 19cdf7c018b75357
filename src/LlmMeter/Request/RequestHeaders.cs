using System.Collections.ObjectModel;
using LlmMeter.Internal;

namespace LlmMeter.Request;

/// <summary>What the meter does to a request's headers before it goes out: the routing-metadata opt-in and the tags.</summary>
internal static class RequestHeaders
{
    // Removes the tag header before the request goes out and merges tags: defaults < scope < header.
    public static IReadOnlyDictionary<string, string> Prepare(MeterCore core, HttpRequestMessage request, out bool tagWarning)
    {
        tagWarning = false;
        if (core.RequestRoutingMetadata && !request.Headers.Contains("X-OpenRouter-Metadata"))
        {
            request.Headers.TryAddWithoutValidation("X-OpenRouter-Metadata", "enabled");
        }

        var scope = LlmMeterContext.CurrentTags;
        IEnumerable<string>? headerValues = null;
        if (request.Headers.NonValidated.TryGetValues(TagRules.HeaderName, out var values))
        {
            headerValues = [.. values];
            request.Headers.Remove(TagRules.HeaderName);
        }

        if (headerValues is null && scope.Count == 0)
        {
            return core.DefaultTags;
        }

        if (headerValues is null && core.DefaultTags.Count == 0)
        {
            return scope;
        }

        var merged = new Dictionary<string, string>(core.DefaultTags, StringComparer.Ordinal);
        foreach (var (key, value) in scope)
        {
            merged[key] = value;
        }

        if (headerValues is not null)
        {
            tagWarning = !TagRules.TryParseHeader(headerValues, merged);
        }

        return new ReadOnlyDictionary<string, string>(merged);
    }
}
