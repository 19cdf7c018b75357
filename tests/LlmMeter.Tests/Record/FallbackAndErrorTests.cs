using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Record;

public sealed class FallbackAndErrorTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Theory]
    // models fallback: the second entry served.
    [InlineData("""{"models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"]}""", "anthropic/claude-3.5-sonnet", true, 1, "openai/gpt-4o")]
    // models: the first entry served (a dated slug of it).
    [InlineData("""{"models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"]}""", "openai/gpt-4o-2024-05-13", false, 0, "openai/gpt-4o")]
    // model + models: a later entry served.
    [InlineData("""{"model":"openai/gpt-4o","models":["mistralai/mistral-large","meta-llama/llama-3.1-70b-instruct"]}""", "meta-llama/llama-3.1-70b-instruct", true, 1, "openai/gpt-4o")]
    // A dated slug of the requested model is not a fallback.
    [InlineData("""{"model":"anthropic/claude-4.6-opus"}""", "anthropic/claude-4.6-opus-20260205", false, null, "anthropic/claude-4.6-opus")]
    // openrouter/auto picking a model is not a fallback.
    [InlineData("""{"model":"openrouter/auto"}""", "mistralai/mistral-large", false, null, "openrouter/auto")]
    // A :free variant served as itself.
    [InlineData("""{"model":"google/gemma-4-26b-a4b-it:free"}""", "google/gemma-4-26b-a4b-it:free", false, null, "google/gemma-4-26b-a4b-it:free")]
    // A :floor variant answered with the plain id.
    [InlineData("""{"model":"openai/gpt-4o:floor"}""", "openai/gpt-4o", false, null, "openai/gpt-4o:floor")]
    // A different name served without a models list nor metadata: the same model under another name, not a fallback.
    [InlineData("""{"model":"openai/gpt-4o"}""", "openai/gpt-4o-mini", false, null, "openai/gpt-4o")]
    // Canonical slugs that are not the requested id plus a date (recorded real traffic), fallbacks off.
    [InlineData("""{"model":"anthropic/claude-sonnet-4.6","provider":{"allow_fallbacks":false}}""", "anthropic/claude-4.6-sonnet-20260217", false, null, "anthropic/claude-sonnet-4.6")]
    [InlineData("""{"model":"anthropic/claude-sonnet-4-5"}""", "anthropic/claude-4.5-sonnet-20250929", false, null, "anthropic/claude-sonnet-4-5")]
    // models: the first entry served under its canonical slug.
    [InlineData("""{"model":"anthropic/claude-sonnet-4.5","models":["anthropic/claude-sonnet-4.5","openai/gpt-4o"]}""", "anthropic/claude-4.5-sonnet-20250929", false, 0, "anthropic/claude-sonnet-4.5")]
    // models: the second entry served under its canonical slug.
    [InlineData("""{"model":"openai/gpt-4o","models":["openai/gpt-4o","anthropic/claude-sonnet-4.5"]}""", "anthropic/claude-4.5-sonnet-20250929", true, 1, "openai/gpt-4o")]
    // models allowed a fallback, but a name no entry matches and no catalog to tell: not claimed.
    [InlineData("""{"model":"openai/gpt-4o","models":["openai/gpt-4o"]}""", "openai/gpt-4o-mini", false, null, "openai/gpt-4o")]
    public async Task SendAsync_ServedModel_DetectsFallback(string request, string served, bool fallback, int? index, string requested)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(served));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json(request));
        await response.Content.ReadAsStringAsync();

        var record = await _sink.SingleAsync();
        Assert.Equal(requested, record.RequestedModel);
        Assert.Equal(served, record.ServedModel);
        Assert.Equal(fallback, record.FallbackUsed);
        Assert.Equal(index, record.FallbackIndex);
    }

    [Fact]
    public async Task SendAsync_AutoRouterWithMetadata_IsNotAFallback()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(
            "anthropic/claude-3.5-sonnet",
            extra: ""","openrouter_metadata":{"requested":"openrouter/auto","strategy":"auto","attempt":1,"attempts":[{"provider":"Anthropic","model":"anthropic/claude-3.5-sonnet","status":200}]}"""));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json("""{"model":"openrouter/auto"}"""));
        await response.Content.ReadAsStringAsync();

        var record = await _sink.SingleAsync();
        Assert.False(record.FallbackUsed);
        Assert.Equal(1, record.Attempts);
    }

    [Fact]
    public async Task SendAsync_MetadataShowsSecondAttemptOfSameModel_IsAProviderFailoverNotAFallback()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(
            "openai/gpt-4o",
            extra: ""","openrouter_metadata":{"requested":"openai/gpt-4o","strategy":"direct","attempt":2,"attempts":[{"provider":"Azure","model":"openai/gpt-4o","status":502},{"provider":"OpenAI","model":"openai/gpt-4o","status":200}]}"""));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}"""));
        await response.Content.ReadAsStringAsync();

        var record = await _sink.SingleAsync();
        Assert.False(record.FallbackUsed);
        Assert.Null(record.FallbackIndex);
        Assert.Equal(2, record.Attempts);
        Assert.Equal("OpenAI", record.Provider);
    }

    [Fact]
    public async Task SendAsync_OlderMetadataWithoutAttemptModels_CountsAttempts()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(
            "openai/gpt-4o",
            extra: ""","openrouter_metadata":{"requested":"openai/gpt-4o","strategy":"direct","attempt":2,"attempts":[{"provider":"Azure","status":502},{"provider":"OpenAI","status":200}]}"""));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}"""));
        await response.Content.ReadAsStringAsync();

        var record = await _sink.SingleAsync();
        Assert.True(record.FallbackUsed);
        Assert.Equal(2, record.Attempts);
    }

    public static TheoryData<Transcript, bool, int?, int> Routing() => new()
    {
        { RoutingTranscripts.ProviderFailover, false, null, 2 },
        { RoutingTranscripts.ProviderFailoverStream, false, null, 3 },
        { RoutingTranscripts.ModelFallback, true, 1, 3 },
        { RoutingTranscripts.ModelFallbackStream, true, 1, 2 },
        { RoutingTranscripts.FallbackStrategyFirstModel, false, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Routing))]
    public async Task SendAsync_RoutingTrace_FallbackOnlyWhenAnotherModelWasTried(Transcript transcript, bool fallback, int? index, int attempts)
    {
        using var replay = new TranscriptReplay(transcript, Pricing.CatalogSamples.Parse(Pricing.CatalogSamples.Dump2025));

        var record = await replay.ReadAsync();

        Assert.Equal(fallback, record.FallbackUsed);
        Assert.Equal(index, record.FallbackIndex);
        Assert.Equal(attempts, record.Attempts);
        Assert.Equal(transcript.Sse, record.Stream);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    public static TheoryData<Transcript> RoutingTranscriptList() => [.. RoutingTranscripts.All];

    [Theory]
    [MemberData(nameof(RoutingTranscriptList))]
    public async Task Read_RoutingTranscriptInRandomSplits_YieldsTheRecordOfOneRead(Transcript transcript)
    {
        using var replay = new TranscriptReplay(transcript, Pricing.CatalogSamples.Parse(Pricing.CatalogSamples.Dump2025));
        var length = replay.BodyBytes.Length;
        var reference = TranscriptReplay.Normalize(await replay.ReadAsync());
        var random = new Random(transcript.Name.Length * 7919); // Fixed seed per transcript: a failure replays.

        for (var run = 0; run < 24; run++)
        {
            var sizes = new List<int>();
            var maxPiece = run % 3 == 0 ? 3 : run % 3 == 1 ? 40 : length;
            for (var left = length; left > 0;)
            {
                var size = Math.Min(left, random.Next(1, maxPiece + 1));
                sizes.Add(size);
                left -= size;
            }

            var record = TranscriptReplay.Normalize(await replay.ReadAsync([.. sizes]));
            Assert.True(reference == record, $"splits [{string.Join(',', sizes)}] gave {record}, whole gave {reference}");
        }
    }

    [Theory]
    [InlineData(400, """{"error":{"code":400,"message":"Invalid model"}}""", LlmErrorType.BadRequest)]
    [InlineData(401, """{"error":{"code":401,"message":"No auth credentials found"}}""", LlmErrorType.Unauthorized)]
    [InlineData(402, """{"error":{"code":402,"message":"This request requires more credits, or fewer max_tokens."}}""", LlmErrorType.InsufficientCredits)]
    [InlineData(403, """{"error":{"code":403,"message":"Input was flagged","metadata":{"reasons":["violence"],"flagged_input":"...","provider_name":"OpenAI","model_slug":"openai/gpt-4o"}}}""", LlmErrorType.Moderation)]
    [InlineData(403, """{"error":{"code":403,"message":"Key limit exceeded"}}""", LlmErrorType.InsufficientCredits)]
    [InlineData(408, """{"error":{"code":408,"message":"Request timed out"}}""", LlmErrorType.Timeout)]
    [InlineData(429, """{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"previous_errors":[{"provider":"OpenAI","code":429,"status":429}]}}}""", LlmErrorType.RateLimited)]
    [InlineData(502, """{"error":{"code":502,"message":"Provider returned error"}}""", LlmErrorType.UpstreamUnavailable)]
    [InlineData(503, """{"error":{"code":503,"message":"No endpoints found matching your data policy"}}""", LlmErrorType.NoProvider)]
    [InlineData(524, """{"error":{"code":524,"message":"Timeout"}}""", LlmErrorType.Timeout)]
    [InlineData(418, """{"error":{"code":418,"message":"teapot"}}""", LlmErrorType.Other)]
    public async Task SendAsync_ErrorBody_MapsToErrorTypeAndKeepsStatusAndBody(int status, string body, LlmErrorType expected)
    {
        _openRouter.Json("chat/completions", body, status, ("Retry-After", "7"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}"""));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(expected, record.ErrorType);
        Assert.Equal(status, record.StatusCode);
        Assert.Null(record.CostUsd);
        Assert.Equal(LlmCostSource.None, record.CostSource);
        Assert.DoesNotContain("flagged", LlmMeterJson.Serialize(record), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SendAsync_ErrorResponseNeverRead_IsRecordedWhenDisposed()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Error(429, "Rate limit exceeded"), 429);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}""") };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Throws<HttpRequestException>(() => response.EnsureSuccessStatusCode());
        Assert.Empty(_sink.Records);
        response.Dispose();

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.RateLimited, record.ErrorType);
    }
}
