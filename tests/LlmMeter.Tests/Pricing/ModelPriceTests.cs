using LlmMeter.Pricing;

namespace LlmMeter.Tests.Pricing;

public sealed class ModelPriceTests
{
    private static readonly ModelPrice s_flash = new(0.0000003m, 0.0000025m, 0, InputCacheRead: 0.00000003m, InputCacheWrite: 0.0000003833m);

    [Fact]
    public void Cost_CacheWritesOverlapTheCachedTokens_BillsBothAndNoPlainInput()
    {
        // Gemini: 2,168 prompt tokens, 2,161 cached and 2,161 written (they overlap).
        var cost = s_flash.Cost(2168, 2161, 2161, 410, 0);

        Assert.Equal((2161 * 0.00000003m) + (2161 * 0.0000003833m) + (410 * 0.0000025m), cost);
    }

    [Fact]
    public void Cost_WritesWithinTheUncachedPrompt_BillsTheRestAtThePromptPrice()
    {
        var cost = s_flash.Cost(5000, 1000, 3000, 0, 0);

        Assert.Equal((1000 * 0.0000003m) + (1000 * 0.00000003m) + (3000 * 0.0000003833m), cost);
    }

    [Fact]
    public void Cost_WebSearches_AddTheirPrice()
    {
        var price = new ModelPrice(0.000003m, 0.000015m) { WebSearch = 0.01m };

        Assert.Equal((9000 * 0.000003m) + (600 * 0.000015m) + 0.02m, price.Cost(9000, 0, 0, 600, 0, webSearchRequests: 2));
        Assert.Equal((9000 * 0.000003m) + (600 * 0.000015m), price.Cost(9000, 0, 0, 600, 0));
    }

    [Fact]
    public void Cost_PromptReachesATier_BillsTheWholeCallAtTheTier()
    {
        var tier = new ModelPrice(0.0000025m, 0.000015m, InputCacheRead: 0.00000025m);
        var price = new ModelPrice(0.00000125m, 0.00001m, InputCacheRead: 0.000000125m) { Tiers = [new ModelPriceTier(200_000, tier)] };

        Assert.Equal((149_999 * 0.00000125m) + (50_000 * 0.000000125m) + (2000 * 0.00001m), price.Cost(199_999, 50_000, 0, 2000, 0));
        Assert.Equal((150_000 * 0.0000025m) + (50_000 * 0.00000025m) + (2000 * 0.000015m), price.Cost(200_000, 50_000, 0, 2000, 0));
    }

    [Theory]
    [InlineData(0, 0, 0, null, true)]
    [InlineData(0, 0, 0, 0.01, false)]
    [InlineData(0, 0.000001, 0, null, false)]
    [InlineData(0, 0, 0.001, null, false)]
    public void IsFree_AnyPositivePrice_IsNotFree(double prompt, double completion, double request, double? webSearch, bool free)
    {
        var price = new ModelPrice((decimal)prompt, (decimal)completion, (decimal)request) { WebSearch = (decimal?)webSearch };

        Assert.Equal(free, price.IsFree);
    }

    [Fact]
    public void IsFree_FreeBaseWithAPaidTier_IsNotFree()
    {
        var price = ModelPrice.Free with { Tiers = [new ModelPriceTier(1000, new ModelPrice(0.000001m, 0))] };

        Assert.False(price.IsFree);
    }
}
