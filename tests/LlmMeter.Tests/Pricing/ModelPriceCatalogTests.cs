using LlmMeter.Pricing;

namespace LlmMeter.Tests.Pricing;

public sealed class ModelPriceCatalogTests
{
    [Theory]
    // The :free variant listed first, then the paid model: the slug still takes the paid price.
    [InlineData("mistralai/mistral-small-3.1-24b-instruct-2503", "0.00000005")]
    // The paid model listed first, then the :free variant.
    [InlineData("qwen/qwen3-235b-a22b-04-28", "0.00000013")]
    // Canonical slugs that are not the id plus a date.
    [InlineData("anthropic/claude-4.6-sonnet-20260217", "0.000003")]
    [InlineData("anthropic/claude-4.5-sonnet-20250929", "0.000003")]
    public void TryGetPrice_CanonicalSlugSharedWithFreeVariant_IsThePaidPrice(string slug, string prompt)
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

        Assert.True(catalog.TryGetPrice(slug, out var price));

        Assert.Equal(decimal.Parse(prompt, System.Globalization.CultureInfo.InvariantCulture), price.Prompt);
        Assert.False(price.IsFree);
    }

    [Fact]
    public void TryGetPrice_SlugOnlyAFreeVariantHas_IsFree()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

        Assert.True(catalog.TryGetPrice("deepseek/deepseek-r1", out var price));

        Assert.True(price.IsFree);
    }

    [Theory]
    [InlineData("mistralai/mistral-small-3.1-24b-instruct:free")]
    [InlineData("qwen/qwen3-235b-a22b:free")]
    // Not in the catalog, while its paid base model is: still free, never the base price.
    [InlineData("google/gemma-3-27b-it:free")]
    [InlineData("anthropic/claude-sonnet-4.5:free")]
    public void TryGetPrice_FreeVariant_IsFree(string model)
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

        Assert.True(catalog.TryGetPrice(model, out var price));

        Assert.True(price.IsFree);
        Assert.Equal(0, price.Cost(100_000, 0, 0, 10_000, 0, 3));
    }

    [Fact]
    public void TryGetPrice_FreeVariantListedWithAPrice_IsStillFree()
    {
        var catalog = CatalogSamples.Parse("""{"data":[{"id":"a/b:free","pricing":{"prompt":"0.000001","completion":"0.000002"}}]}""");

        Assert.True(catalog.TryGetPrice("a/b:free", out var price));

        Assert.True(price.IsFree);
    }

    [Fact]
    public void TryGetPrice_PaidVariantSuffix_IsTheBasePrice()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

        Assert.True(catalog.TryGetPrice("anthropic/claude-sonnet-4.5:nitro", out var price));

        Assert.Equal(0.000003m, price.Prompt);
    }

    [Fact]
    public void Parse_WebSearchPrice_IsRead()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

        Assert.True(catalog.TryGetPrice("anthropic/claude-sonnet-4.5", out var sonnet));
        Assert.True(catalog.TryGetPrice("google/gemini-2.5-flash", out var flash));

        Assert.Equal(0.01m, sonnet.WebSearch);
        Assert.Equal(0m, flash.WebSearch);
    }

    [Fact]
    public void Parse_TieredOverrides_ReadsPromptSizeTiersOverTheBasePrice()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2026);

        Assert.True(catalog.TryGetPrice("google/gemini-2.5-pro", out var pro));

        var tier = Assert.Single(pro.Tiers);
        Assert.Equal(200_000, tier.MinPromptTokens);
        Assert.Equal(new ModelPrice(0.0000025m, 0.000015m, 0, 0.00000025m, 0.000002875m) { WebSearch = 0 }, tier.Price);
        Assert.Same(pro, pro.ForPrompt(199_999));
        Assert.Same(tier.Price, pro.ForPrompt(200_000));
    }

    [Fact]
    public void Parse_OverrideLeavesARateOut_TheTierKeepsTheBaseRate()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2026);

        Assert.True(catalog.TryGetPrice("openai/gpt-5.4", out var gpt));

        // The second override has a negative size: left out.
        var tier = Assert.Single(gpt.Tiers);
        Assert.Equal(0.01m, tier.Price.WebSearch);
        Assert.Null(tier.Price.InputCacheWrite);
        Assert.Equal(0.0000005m, tier.Price.InputCacheRead);
    }

    [Fact]
    public void Parse_OverrideWithAConditionOtherThanPromptSize_IsLeftOut()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2026);

        Assert.True(catalog.TryGetPrice("deepseek/deepseek-v3.2", out var deepseek));

        Assert.Empty(deepseek.Tiers);
        Assert.Equal(0.00000028m, deepseek.ForPrompt(1000).Prompt);
    }

    [Fact]
    public void CanonicalOf_IdSlugAndVariant_NameTheSameSlug()
    {
        var catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

        Assert.Equal("anthropic/claude-4.6-sonnet-20260217", catalog.CanonicalOf("anthropic/claude-sonnet-4.6"));
        Assert.Equal("anthropic/claude-4.6-sonnet-20260217", catalog.CanonicalOf("anthropic/claude-4.6-sonnet-20260217"));
        Assert.Equal("qwen/qwen3-235b-a22b-04-28", catalog.CanonicalOf("qwen/qwen3-235b-a22b:free"));
        Assert.Equal("anthropic/claude-4.5-sonnet-20250929", catalog.CanonicalOf("anthropic/claude-sonnet-4.5:nitro"));
        Assert.Null(catalog.CanonicalOf("someone/unknown"));
        Assert.Null(ModelPriceCatalog.Empty.CanonicalOf("anthropic/claude-sonnet-4.6"));
    }
}
