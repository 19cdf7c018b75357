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
    /// <summary>Cost of a call with these token counts (input includes cached, output includes reasoning).</summary>
    public decimal Cost(long input, long cachedInput, long cacheWrite, long output, long reasoning)
    {
        var cached = Math.Clamp(cachedInput, 0, input);
        var written = Math.Clamp(cacheWrite, 0, input - cached);
        var plainInput = input - cached - written;
        var reasoned = Math.Clamp(reasoning, 0, output);
        var plainOutput = output - reasoned;
        return (plainInput * Prompt)
            + (cached * (InputCacheRead ?? Prompt))
            + (written * (InputCacheWrite ?? Prompt))
            + (plainOutput * Completion)
            + (reasoned * (InternalReasoning ?? Completion))
            + Request;
    }
}
