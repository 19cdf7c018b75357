using System.Text;
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

    [Fact]
    public void Detect_ProviderFailoverTwoAttemptsOfOneModel_IsNotAFallback()
    {
        var facts = Scan("openai/gpt-4o-2024-08-06", "direct", 2, "openai/gpt-4o", "openai/gpt-4o");

        Assert.Equal(2, facts.RoutingAttemptsCount);
        Assert.Equal(["openai/gpt-4o"], facts.RoutingAttemptModels!.Names.ToArray());
        Assert.Equal((false, (int?)null), FallbackDetector.Detect("openai/gpt-4o", null, facts.Model, facts, ModelPriceCatalog.Empty));
    }

    [Fact]
    public void Detect_AttemptsOfAnotherModelWithModelsList_IsAFallbackAtTheServedIndex()
    {
        var facts = Scan("openai/gpt-4o-2024-08-06", "fallback", 3, "anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.5", "openai/gpt-4o");
        string[] models = ["anthropic/claude-sonnet-4.5", "openai/gpt-4o"];

        Assert.Equal((true, 1), FallbackDetector.Detect(null, models, facts.Model, facts, ModelPriceCatalog.Empty));
    }

    [Fact]
    public void Detect_AttemptsOfAnotherModelWithoutModelsList_IsAFallbackWithoutIndex()
    {
        var facts = Scan("openai/gpt-4o-2024-08-06", "fallback", 2, "anthropic/claude-sonnet-4.5", "openai/gpt-4o");

        Assert.Equal((true, (int?)null), FallbackDetector.Detect("anthropic/claude-sonnet-4.5", null, facts.Model, facts, ModelPriceCatalog.Empty));
    }

    // The attempts are more precise than the strategy: "fallback" says a models list was given, not that it was used.
    [Fact]
    public void Detect_FallbackStrategyWithAttemptsOfOneModel_IsNotAFallback()
    {
        var facts = Scan("anthropic/claude-4.6-sonnet-20260217", "fallback", 1, "anthropic/claude-sonnet-4.6");
        string[] models = ["anthropic/claude-sonnet-4.6", "openai/gpt-4o"];

        Assert.Equal((false, 0), FallbackDetector.Detect("anthropic/claude-sonnet-4.6", models, facts.Model, facts, s_catalog));
    }

    // A single model tried is the served one, even under a slug only a catalog links to the id the attempts name.
    [Fact]
    public void Detect_AttemptsNameTheIdServedUnderASlugTheWordsDoNotShow_IsNotAFallback()
    {
        var facts = Scan("qwen/qwen3-235b-a22b-04-28", "direct", 2, "qwen/qwen3-235b-a22b", "qwen/qwen3-235b-a22b");

        Assert.Equal((false, (int?)null), FallbackDetector.Detect("qwen/qwen3-235b-a22b", null, facts.Model, facts, ModelPriceCatalog.Empty));
    }

    [Fact]
    public void Detect_AttemptsNameTheIdAndItsCanonicalSlug_AreOneModelThroughTheCatalog()
    {
        var facts = Scan("qwen/qwen3-235b-a22b-04-28", "direct", 2, "qwen/qwen3-235b-a22b", "qwen/qwen3-235b-a22b-04-28");

        Assert.False(FallbackDetector.Detect("qwen/qwen3-235b-a22b", null, facts.Model, facts, s_catalog).Used);
        Assert.True(FallbackDetector.Detect("qwen/qwen3-235b-a22b", null, facts.Model, facts, ModelPriceCatalog.Empty).Used);
    }

    [Fact]
    public void Detect_AnAttemptWithoutModel_CountsAttemptsAsBefore()
    {
        var facts = Parse("""{"model":"openai/gpt-4o","openrouter_metadata":{"attempt":2,"attempts":[{"provider":"Azure","model":null,"status":502},{"provider":"OpenAI","model":"openai/gpt-4o","status":200}]}}""");

        Assert.True(facts.RoutingAttemptModels!.Incomplete);
        Assert.True(FallbackDetector.Detect("openai/gpt-4o", null, facts.Model, facts, ModelPriceCatalog.Empty).Used);
    }

    [Fact]
    public void Detect_ManyAttemptsOfOneModel_KeepsOneNameAndIsNotAFallback()
    {
        var facts = Scan("openai/gpt-4o", "direct", 40, [.. Enumerable.Repeat("openai/gpt-4o", 40)]);

        Assert.Equal(40, facts.RoutingAttemptsCount);
        Assert.Equal(1, facts.RoutingAttemptModels!.Names.Length);
        Assert.False(FallbackDetector.Detect("openai/gpt-4o", null, facts.Model, facts, ModelPriceCatalog.Empty).Used);
    }

    [Fact]
    public void Detect_MoreDistinctAttemptModelsThanKept_CountsAttempts()
    {
        var names = Enumerable.Range(0, RoutingAttemptModels.MaxNames + 1).Select(i => $"vendor/model-{i}").ToArray();
        var facts = Scan("vendor/model-16", "fallback", names.Length, names);

        Assert.Equal(RoutingAttemptModels.MaxNames, facts.RoutingAttemptModels!.Names.Length);
        Assert.True(facts.RoutingAttemptModels.Incomplete);
        Assert.True(FallbackDetector.Detect(null, null, facts.Model, facts, ModelPriceCatalog.Empty).Used);
    }

    [Fact]
    public void Detect_AttemptModelLongerThanAnyId_IsNotKeptAndAttemptsAreCounted()
    {
        var facts = Scan("openai/gpt-4o", "direct", 2, "openai/gpt-4o", "openai/" + new string('x', RoutingAttemptModels.MaxNameBytes));

        Assert.Equal(["openai/gpt-4o"], facts.RoutingAttemptModels!.Names.ToArray());
        Assert.True(facts.RoutingAttemptModels.Incomplete);
        Assert.True(FallbackDetector.Detect("openai/gpt-4o", null, facts.Model, facts, ModelPriceCatalog.Empty).Used);
    }

    [Fact]
    public void Detect_MetadataRepeated_TheLastAttemptsListCounts()
    {
        var facts = new ResponseFacts();
        using (var parser = new ResponseBodyParser(facts, eventStream: true, new NoWarnings()))
        {
            parser.Feed(Encoding.UTF8.GetBytes(
                "data: {\"model\":\"openai/gpt-4o\",\"openrouter_metadata\":{\"attempts\":[{\"model\":\"anthropic/claude-sonnet-4.5\"},{\"model\":\"openai/gpt-4o\"}]}}\n\n"
                + "data: {\"model\":\"openai/gpt-4o\",\"openrouter_metadata\":{\"attempts\":[{\"model\":\"openai/gpt-4o\"}]}}\n\n"));
            parser.Complete();
        }

        Assert.Equal(1, facts.RoutingAttemptsCount);
        Assert.Equal(["openai/gpt-4o"], facts.RoutingAttemptModels!.Names.ToArray());
        Assert.False(FallbackDetector.Detect("openai/gpt-4o", null, facts.Model, facts, ModelPriceCatalog.Empty).Used);
    }

    // A chat answer whose routing trace has one attempt per model name (providers and statuses made up).
    private static ResponseFacts Scan(string served, string strategy, int attempt, params string[] attemptModels)
    {
        var attempts = string.Join(",", attemptModels.Select((m, i) =>
            $$"""{"provider":"P{{i}}","model":"{{m}}","status":{{(i == attemptModels.Length - 1 ? 200 : 502)}}}"""));
        return Parse($$$"""{"id":"gen-1","model":"{{{served}}}","openrouter_metadata":{"requested":"x","strategy":"{{{strategy}}}","attempt":{{{attempt}}},"attempts":[{{{attempts}}}]}}""");
    }

    private static ResponseFacts Parse(string json)
    {
        var facts = new ResponseFacts();
        using var parser = new ResponseBodyParser(facts, eventStream: false, new NoWarnings());
        parser.Feed(Encoding.UTF8.GetBytes(json));
        parser.Complete();
        return facts;
    }

    private sealed class NoWarnings : IWarningSink
    {
        public void AddWarning(string warning) => throw new InvalidOperationException("unexpected warning " + warning);
    }
}
