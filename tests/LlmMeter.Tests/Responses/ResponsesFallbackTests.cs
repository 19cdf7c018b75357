using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Responses;

/// <summary>The Responses API's routing trace (<c>openrouter_metadata</c> in the response object) decides fallbacks as on chat.</summary>
public sealed class ResponsesFallbackTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Fact]
    public async Task SendAsync_JsonAnswerAfterAProviderFailover_IsNotAFallback()
    {
        _openRouter.Json("responses", ResponsesSamples.Response(usage: ResponsesSamples.Usage(), routing: ResponsesSamples.FailoverRouting));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        var record = await PostAsync(http, ResponsesSamples.Request);

        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.False(record.FallbackUsed);
        Assert.Null(record.FallbackIndex);
        Assert.Equal(2, record.Attempts);
    }

    [Fact]
    public async Task SendAsync_JsonAnswerAfterAnotherModelFailed_IsAFallbackAtTheServedIndex()
    {
        _openRouter.Json("responses", ResponsesSamples.Response(usage: ResponsesSamples.Usage(), routing: ResponsesSamples.FallbackRouting));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        var record = await PostAsync(http, """{"model":"openai/o3","models":["openai/o3","openai/o4-mini"],"input":"Say hello."}""");

        Assert.True(record.FallbackUsed);
        Assert.Equal(1, record.FallbackIndex);
        Assert.Equal(2, record.Attempts);
    }

    [Fact]
    public async Task SendAsync_StreamAfterAProviderFailover_IsNotAFallback()
    {
        _openRouter.Raw("responses", 200, "text/event-stream", ResponsesSamples.Stream(
            terminalResponse: ResponsesSamples.Response(usage: ResponsesSamples.Usage(), routing: ResponsesSamples.FailoverRouting)));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        var record = await PostAsync(http, ResponsesSamples.StreamRequest);

        Assert.True(record.Stream);
        Assert.False(record.FallbackUsed);
        Assert.Equal(2, record.Attempts);
    }

    [Fact]
    public async Task SendAsync_StreamAfterAnotherModelFailed_IsAFallbackAtTheServedIndex()
    {
        _openRouter.Raw("responses", 200, "text/event-stream", ResponsesSamples.Stream(
            terminalResponse: ResponsesSamples.Response(usage: ResponsesSamples.Usage(), routing: ResponsesSamples.FallbackRouting)));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        var record = await PostAsync(http, ResponsesSamples.FallbackStreamRequest);

        Assert.True(record.FallbackUsed);
        Assert.Equal(1, record.FallbackIndex);
        Assert.Equal(2, record.Attempts);
    }

    private async Task<LlmCallRecord> PostAsync(HttpClient http, string json)
    {
        using var response = await http.PostAsync("responses", LlmMeterHandlerTests.Json(json));
        await response.Content.ReadAsStringAsync();
        return await _sink.SingleAsync();
    }
}
