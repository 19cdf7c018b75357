using LlmMeter.Pricing;
using LlmMeter.Tests.Pricing;

namespace LlmMeter.Tests.Record;

/// <summary>Estimates from real-shaped transcripts (usage.cost removed) against catalogs shaped like real /models dumps.</summary>
public sealed class RecordBuilderCostTests
{
    private static readonly ModelPriceCatalog s_2025 = CatalogSamples.Parse(CatalogSamples.Dump2025);
    private static readonly ModelPriceCatalog s_2026 = CatalogSamples.Parse(CatalogSamples.Dump2026);

    [Fact]
    public async Task Build_CanonicalSlugAnswer_IsEstimatedAtTheRequestedModelsPrice()
    {
        using var replay = new TranscriptReplay(Transcripts.Sonnet46Canonical, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal("anthropic/claude-4.6-sonnet-20260217", record.ServedModel);
        Assert.False(record.FallbackUsed);
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal((1520 * 0.000003m) + (312 * 0.000015m), record.CostUsd);
    }

    [Fact]
    public async Task Build_CanonicalSlugStreamForAnIdTheCatalogLacks_IsEstimatedAtTheSlugsPrice()
    {
        // "anthropic/claude-sonnet-4-5" is not a catalog id; the canonical slug it was served under is.
        using var replay = new TranscriptReplay(Transcripts.Sonnet45CanonicalStream, s_2025);

        var record = await replay.ReadAsync();

        Assert.False(record.FallbackUsed);
        Assert.Equal((830 * 0.000003m) + (96 * 0.000015m), record.CostUsd);
    }

    [Fact]
    public async Task Build_CacheWritesOverlapCachedTokens_IsEstimatedAsBilled()
    {
        using var replay = new TranscriptReplay(Transcripts.GeminiOverlappingCacheWrites, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal(2168, record.InputTokens);
        Assert.Equal(2161, record.CachedInputTokens);
        Assert.Equal(2161, record.CacheWriteTokens);
        Assert.Equal((2161 * 0.00000003m) + (2161 * 0.0000003833m) + (410 * 0.0000025m), record.CostUsd);
    }

    [Fact]
    public async Task Build_WebSearchRequests_AreEstimatedAtTheWebSearchPrice()
    {
        using var replay = new TranscriptReplay(Transcripts.SonnetWebSearch, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal((9120 * 0.000003m) + (604 * 0.000015m) + (2 * 0.01m), record.CostUsd);
    }

    [Fact]
    public async Task Build_PaidModelAnsweringUnderASlugItsFreeVariantShares_IsNotFree()
    {
        using var replay = new TranscriptReplay(Transcripts.MistralPaidCanonical, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal((4000 * 0.00000005m) + (1000 * 0.0000001m), record.CostUsd);
        Assert.True(record.CostUsd > 0);
    }

    [Fact]
    public async Task Build_FreeVariantAnsweringUnderTheSharedSlug_IsFree()
    {
        using var replay = new TranscriptReplay(Transcripts.MistralFreeCanonical, s_2025);

        var record = await replay.ReadAsync();

        Assert.False(record.FallbackUsed);
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal(0m, record.CostUsd);
    }

    [Fact]
    public async Task Build_PaidModelListedBeforeItsFreeVariant_StreamIsEstimatedAtThePaidPrice()
    {
        using var replay = new TranscriptReplay(Transcripts.QwenPaidCanonicalStream, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal((3000 * 0.00000013m) + (1500 * 0.0000006m), record.CostUsd);
    }

    [Fact]
    public async Task Build_PromptReachesALongContextTier_IsEstimatedAtTheTier()
    {
        using var replay = new TranscriptReplay(Transcripts.GeminiProLongContext, s_2026);

        var record = await replay.ReadAsync();

        Assert.Equal((150_000 * 0.0000025m) + (100_000 * 0.00000025m) + (2000 * 0.000015m), record.CostUsd);
    }

    [Fact]
    public async Task Build_CanonicalSlugAnswerWithoutACatalog_IsNoFallbackAndNoCost()
    {
        using var replay = new TranscriptReplay(Transcripts.Sonnet46Canonical, catalog: null);

        var record = await replay.ReadAsync();

        Assert.False(record.FallbackUsed);
        Assert.Null(record.FallbackIndex);
        Assert.Null(record.CostUsd);
        Assert.Equal(LlmCostSource.None, record.CostSource);
    }

    [Fact]
    public async Task Build_ErrorBodyNamesTheProvider_RecordsIt()
    {
        using var replay = new TranscriptReplay(Transcripts.RateLimitedWithProvider, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.RateLimited, record.ErrorType);
        Assert.Equal("Chutes", record.Provider);
        Assert.StartsWith("llmm-", record.Id, StringComparison.Ordinal);
        Assert.Null(record.CostUsd);
    }

    [Fact]
    public async Task Build_ErrorBodyCarriesTheGenerationId_RecordsItAsTheId()
    {
        using var replay = new TranscriptReplay(Transcripts.UpstreamErrorWithGenerationId, s_2025);

        var record = await replay.ReadAsync();

        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Equal("Anthropic", record.Provider);
        Assert.Equal("gen-1771300010-eRrOrGeNiD000001", record.Id);
    }
}
