namespace LlmMeter.Pricing;

/// <summary>One entry of a model's <c>pricing.overrides</c>: the prices of a call whose prompt has at least <paramref name="MinPromptTokens"/> tokens.</summary>
/// <param name="MinPromptTokens">Prompt tokens (cached included) from which the tier applies (inclusive).</param>
/// <param name="Price">The whole price at this tier: rates the override leaves out are the base rates.</param>
public sealed record ModelPriceTier(long MinPromptTokens, ModelPrice Price);
