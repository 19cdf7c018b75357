using System.Collections.Concurrent;

namespace LlmMeter.Pricing.Internal;

/// <summary>
/// The share of the prompt that came from the cache in each model's latest call with usage. A stream aborted before
/// its usage tells nothing of its cache: its approximated prompt takes the share of the model's previous call (an agent
/// loop resends a growing conversation, so the latest share is the best guess there is), 0 when none was seen.
/// </summary>
internal sealed class CachedShareMemory
{
    // Bounded: a few hundred models at most; past that, new models are not remembered.
    private const int MaxModels = 512;

    private readonly ConcurrentDictionary<string, double> _shares = new(StringComparer.OrdinalIgnoreCase);

    public void Observe(string? model, long input, long cached)
    {
        if (model is null || input <= 0 || (_shares.Count >= MaxModels && !_shares.ContainsKey(model)))
        {
            return;
        }

        _shares[model] = Math.Clamp((double)cached / input, 0, 1);
    }

    /// <summary>The cached tokens of a prompt of <paramref name="input"/> tokens, by the model's latest share.</summary>
    public long CachedOf(string? model, long input) =>
        model is not null && _shares.TryGetValue(model, out var share) ? (long)Math.Floor(input * share) : 0;
}
