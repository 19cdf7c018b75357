using LlmMeter.Pricing;
using LlmMeter.Record.Internal;
using LlmMeter.Response;
using LlmMeter.Tests.Pricing;

namespace LlmMeter.Tests.Record;

public sealed class FallbackDetectorTests
{
    private static readonly ModelPriceCatalog s_catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

    [Theory]
    // Words and a date: no catalog needed.
    [InlineData("anthropic/claude-sonnet-4.6", "anthropic/claude-4.6-sonnet-20260217", true)]
    [InlineData("anthropic/claude-sonnet-4-5", "anthropic/claude-4.5-sonnet-20250929", true)]
    [InlineData("openai/gpt-4o", "openai/gpt-4o-2024-05-13", true)]
    [InlineData("openai/gpt-4", "openai/gpt-4-0613", true)]
    [InlineData("google/gemma-4-26b-a4b-it:free", "google/gemma-4-26b-a4b-it", true)]
    [InlineData("openai/gpt-4o", "openai/gpt-4o-mini", false)]
    [InlineData("anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.6", false)]
    [InlineData("openai/gpt-4o", "azure/gpt-4o", false)]
    // A slug whose words differ from the id ("-04-28" is no date the words show).
    [InlineData("qwen/qwen3-235b-a22b", "qwen/qwen3-235b-a22b-04-28", false)]
    public void SameModel_WithoutCatalog_ComparesTheWords(string a, string b, bool same)
    {
        Assert.Equal(same, FallbackDetector.SameModel(a, b, ModelPriceCatalog.Empty));
        Assert.Equal(same, FallbackDetector.SameModel(b, a, ModelPriceCatalog.Empty));
    }

    [Theory]
    [InlineData("qwen/qwen3-235b-a22b", "qwen/qwen3-235b-a22b-04-28")]
    [InlineData("qwen/qwen3-235b-a22b:free", "qwen/qwen3-235b-a22b-04-28")]
    [InlineData("mistralai/mistral-small-3.1-24b-instruct:free", "mistralai/mistral-small-3.1-24b-instruct-2503")]
    public void SameModel_CatalogMapsTheIdToTheSlug_IsTheSameModel(string id, string slug) =>
        Assert.True(FallbackDetector.SameModel(id, slug, s_catalog));

    [Fact]
    public void Detect_NoModelsListNoMetadata_NeverClaimsAFallback()
    {
        var (used, index) = FallbackDetector.Detect("qwen/qwen3-235b-a22b", null, "qwen/qwen3-235b-a22b-04-28", new ResponseFacts(), ModelPriceCatalog.Empty);

        Assert.False(used);
        Assert.Null(index);
    }

    [Fact]
    public void Detect_FirstEntryServedUnderASlugOnlyTheCatalogKnows_IsIndexZeroAndNoFallback()
    {
        string[] models = ["qwen/qwen3-235b-a22b", "openai/gpt-4o"];

        var withCatalog = FallbackDetector.Detect("qwen/qwen3-235b-a22b", models, "qwen/qwen3-235b-a22b-04-28", new ResponseFacts(), s_catalog);
        var without = FallbackDetector.Detect("qwen/qwen3-235b-a22b", models, "qwen/qwen3-235b-a22b-04-28", new ResponseFacts(), ModelPriceCatalog.Empty);

        Assert.Equal((false, 0), withCatalog);
        Assert.Equal((false, (int?)null), without);
    }

    [Fact]
    public void Detect_SecondEntryServedUnderASlugOnlyTheCatalogKnows_IsAFallback()
    {
        string[] models = ["openai/gpt-4o", "qwen/qwen3-235b-a22b"];

        var (used, index) = FallbackDetector.Detect("openai/gpt-4o", models, "qwen/qwen3-235b-a22b-04-28", new ResponseFacts(), s_catalog);

        Assert.True(used);
        Assert.Equal(1, index);
    }

    [Fact]
    public void Detect_ModelsListAndACatalogModelNoEntryNames_IsAFallback()
    {
        string[] models = ["anthropic/claude-sonnet-4.6"];

        var (used, index) = FallbackDetector.Detect("anthropic/claude-sonnet-4.6", models, "google/gemini-2.5-flash", new ResponseFacts(), s_catalog);

        Assert.True(used);
        Assert.Null(index);
    }

    [Fact]
    public void Detect_RouterWithoutMetadata_IsNotAFallback()
    {
        string[] models = ["openrouter/auto", "openai/gpt-4o"];

        var (used, _) = FallbackDetector.Detect("openrouter/auto", models, "google/gemini-2.5-flash", new ResponseFacts(), s_catalog);

        Assert.False(used);
    }

    [Fact]
    public void Detect_MetadataFallbackStrategy_IsAFallbackWithoutModelsList()
    {
        var facts = new ResponseFacts { HasRoutingMetadata = true, RoutingStrategy = "fallback" };

        var (used, _) = FallbackDetector.Detect("anthropic/claude-sonnet-4.6", null, "anthropic/claude-4.6-sonnet-20260217", facts, s_catalog);

        Assert.True(used);
    }
}
