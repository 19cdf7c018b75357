namespace LlmMeter.Pricing;

/// <summary>Prices of one model in USD per token (per request for <see cref="Request"/>), as OpenRouter's <c>/models</c> lists them.</summary>
/// <param name="Prompt">Per prompt token.</param>
/// <param name="Completion">Per completion token.</param>
/// <param name="Request">Per request.</param>
/// <param name="InputCacheRead">Per cached prompt token, null when the model lists none (the prompt price applies).</param>
/// <param name="InputCacheWrite">Per prompt token written to the cache, null when the model lists none (the prompt price applies).</param>
/// <param name="InternalReasoning">Per reasoning token, null when the model lists none (the completion price applies).</param>
public sealed record ModelPrice(
    decimal Prompt,
    decimal Completion,
    decimal Request = 0,
    decimal? InputCacheRead = null,
    decimal? InputCacheWrite = null,
    decimal? InternalReasoning = null)
{
    /// <summary>A model that costs nothing (a <c>:free</c> variant).</summary>
    public static ModelPrice Free { get; } = new(0, 0);

    /// <summary>Per web search request (<c>pricing.web_search</c>), null when the model lists none (searches not estimated).</summary>
    public decimal? WebSearch { get; init; }

    /// <summary>
    /// Long-context prices (<c>pricing.overrides</c>), ascending by <see cref="ModelPriceTier.MinPromptTokens"/>: a call whose
    /// prompt reaches a tier's size is billed entirely at that tier's prices.
    /// </summary>
    public IReadOnlyList<ModelPriceTier> Tiers { get; init; } = [];

    /// <summary>True when nothing about this model costs money (the policy treats it as free).</summary>
    public bool IsFree =>
        Prompt == 0 && Completion == 0 && Request == 0
        && InputCacheRead is null or 0 && InputCacheWrite is null or 0 && InternalReasoning is null or 0 && WebSearch is null or 0
        && Tiers.All(t => t.Price.IsFree);

    /// <summary>The prices that apply to a call with this many prompt tokens (cached included).</summary>
    public ModelPrice ForPrompt(long input)
    {
        var price = this;
        foreach (var tier in Tiers)
        {
            if (input >= tier.MinPromptTokens)
            {
                price = tier.Price;
            }
        }

        return price;
    }

    /// <summary>Cost of a call with these token counts (input includes cached, output includes reasoning).</summary>
    public decimal Cost(long input, long cachedInput, long cacheWrite, long output, long reasoning) =>
        Cost(input, cachedInput, cacheWrite, output, reasoning, webSearchRequests: 0);

    /// <summary>
    /// Cost of a call, as OpenRouter bills it: <c>max(input - cached - written, 0)</c> at the prompt price, cached tokens at
    /// the cache-read price, written tokens at the cache-write price (some providers report writes that overlap the cached
    /// tokens: both are billed), output at the completion price (reasoning at its own when listed), plus web searches and
    /// the per-request price. The tier for the prompt size applies (<see cref="ForPrompt"/>).
    /// </summary>
    public decimal Cost(long input, long cachedInput, long cacheWrite, long output, long reasoning, long webSearchRequests)
    {
        var price = ForPrompt(input);
        var cached = Math.Clamp(cachedInput, 0, input);
        var written = Math.Max(cacheWrite, 0);
        var plainInput = Math.Max(input - cached - written, 0);
        var reasoned = Math.Clamp(reasoning, 0, output);
        var plainOutput = output - reasoned;
        return (plainInput * price.Prompt)
            + (cached * (price.InputCacheRead ?? price.Prompt))
            + (written * (price.InputCacheWrite ?? price.Prompt))
            + (plainOutput * price.Completion)
            + (reasoned * (price.InternalReasoning ?? price.Completion))
            + (Math.Max(webSearchRequests, 0) * (price.WebSearch ?? 0))
            + price.Request;
    }
}
