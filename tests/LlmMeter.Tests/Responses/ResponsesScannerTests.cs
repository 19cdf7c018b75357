using System.Net;
using System.Text;
using LlmMeter.Pricing;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using LlmMeter.Tests.Response;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Responses;

/// <summary><c>POST /responses</c> through the metered client: the JSON answer and the typed event stream, metered as chat completions are.</summary>
public sealed class ResponsesScannerTests : IDisposable
{
    /// <summary>o4-mini as /models lists it: the served name is its canonical slug.</summary>
    internal const string Catalog = """
        {"data":[{"id":"openai/o4-mini","canonical_slug":"openai/o4-mini-2025-04-16",
          "pricing":{"prompt":"0.0000011","completion":"0.0000044","input_cache_read":"0.000000275","request":"0","image":"0","web_search":"0.01","internal_reasoning":"0"}}]}
        """;

    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    internal static ModelPriceCatalog Prices => ModelPriceCatalog.Parse(Encoding.UTF8.GetBytes(Catalog));

    [Fact]
    public async Task SendAsync_JsonAnswer_RecordsEndpointTokensReportedCostAndServedModel()
    {
        _openRouter.Json("responses", ResponsesSamples.Answer());
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var body = await PostAsync(http, ResponsesSamples.Request);

        Assert.Equal(ResponsesSamples.Answer(), body);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.Equal(ResponsesSamples.Id, record.Id);
        Assert.Equal(ResponsesSamples.Model, record.RequestedModel);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
        Assert.Equal("OpenAI", record.Provider);
        Assert.False(record.Stream);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(15, record.InputTokens);
        Assert.Equal(0, record.CachedInputTokens);
        Assert.Equal(212, record.OutputTokens);
        Assert.Equal(192, record.ReasoningTokens);
        Assert.Equal(0.0009493m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.Null(record.TtftMs);
        Assert.Null(record.Warnings);
    }

    [Fact]
    public async Task SendAsync_JsonAnswerWithoutCost_EstimatesFromTheCatalogWithTheCachedShare()
    {
        _openRouter.Json("responses", ResponsesSamples.Answer(cost: null, cached: 5));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalog = Prices);

        await PostAsync(http, ResponsesSamples.Request);

        var record = await _sink.SingleAsync();
        Assert.Equal(5, record.CachedInputTokens);
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal((10 * 0.0000011m) + (5 * 0.000000275m) + (212 * 0.0000044m), record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_JsonFailedAnswer_RecordsTheErrorAndNoCharge()
    {
        _openRouter.Json("responses", ResponsesSamples.FailedAnswer());
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalog = Prices);

        await PostAsync(http, ResponsesSamples.Request);

        var record = await _sink.SingleAsync();
        Assert.Equal(200, record.StatusCode);
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Equal("error", record.FinishReason);
        Assert.Equal(0m, record.CostUsd);
    }

    [Theory]
    [InlineData("max_output_tokens", "length")]
    [InlineData("content_filter", "content_filter")]
    public async Task SendAsync_JsonIncompleteAnswer_RecordsSuccessWithTheMappedFinishReason(string reason, string finish)
    {
        _openRouter.Json("responses", ResponsesSamples.IncompleteAnswer(reason));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.Request);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal(finish, record.FinishReason);
        Assert.Equal(16, record.OutputTokens);
    }

    [Fact]
    public async Task SendAsync_Http402_RecordsInsufficientCredits()
    {
        _openRouter.Json("responses", ResponsesSamples.InsufficientCredits, status: 402);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.Request, HttpStatusCode.PaymentRequired);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.InsufficientCredits, record.ErrorType);
        Assert.Null(record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_Http502WithProviderInMetadata_RecordsProvider()
    {
        _openRouter.Json("responses", """{"error":{"code":502,"message":"Upstream error","metadata":{"provider_name":"Fireworks","raw":"..."}}}""", status: 502);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.Request, HttpStatusCode.BadGateway);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Equal("Fireworks", record.Provider);
    }

    [Theory]
    [InlineData("\n", false, false)]
    [InlineData("\r\n", false, false)]
    [InlineData("\n", true, true)]
    [InlineData("\r\n", true, false)]
    public async Task SendAsync_Stream_RecordsIdModelUsageCostAndTtft(string newline, bool eventLines, bool done)
    {
        var body = ResponsesSamples.Stream(newline: newline, eventLines: eventLines, done: done);
        _openRouter.Sse("responses", body);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        Assert.Equal(body, await PostAsync(http, ResponsesSamples.StreamRequest));

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.True(record.Stream);
        Assert.Equal(ResponsesSamples.Id, record.Id);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
        Assert.Equal("OpenAI", record.Provider);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(21, record.InputTokens);
        Assert.Equal(8, record.CachedInputTokens);
        Assert.Equal(30, record.OutputTokens);
        Assert.Equal(27, record.ReasoningTokens);
        Assert.Equal(0.0001452m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.NotNull(record.TtftMs);
        Assert.True(record.TtftMs <= record.LatencyMs);
        Assert.Null(record.Warnings);
    }

    [Fact]
    public async Task SendAsync_StreamWithoutCost_EstimatesFromTheCatalogByCanonicalSlug()
    {
        _openRouter.Sse("responses", ResponsesSamples.Stream(usage: ResponsesSamples.Usage(input: 21, cached: 8, output: 30, reasoning: 27, cost: null)));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalog = Prices);

        await PostAsync(http, ResponsesSamples.StreamRequest);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal((13 * 0.0000011m) + (8 * 0.000000275m) + (30 * 0.0000044m), record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_StreamIncomplete_RecordsSuccessWithLengthFinish()
    {
        _openRouter.Sse("responses", ResponsesSamples.Stream(terminal: "incomplete"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.StreamRequest);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("length", record.FinishReason);
        Assert.Equal(16, record.OutputTokens);
        Assert.Equal(0.0000935m, record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_StreamFailed_RecordsStreamErrorWithoutCost()
    {
        _openRouter.Sse("responses", ResponsesSamples.Stream(terminal: "failed"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalog = Prices);

        await PostAsync(http, ResponsesSamples.StreamRequest);

        var record = await _sink.SingleAsync();
        Assert.Equal(200, record.StatusCode);
        Assert.Equal(LlmCallOutcome.StreamError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Equal("error", record.FinishReason);
        Assert.Null(record.CostUsd);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
    }

    [Fact]
    public async Task SendAsync_StreamToolCall_RecordsToolCallsFinishAndTtftAtTheArguments()
    {
        _openRouter.Sse("responses", ResponsesSamples.ToolCallStream());
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.StreamRequest);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("tool_calls", record.FinishReason);
        Assert.Equal(40, record.InputTokens);
        Assert.Equal(18, record.OutputTokens);
        Assert.NotNull(record.TtftMs);
    }

    [Theory]
    [InlineData("rate_limit_exceeded", LlmErrorType.RateLimited)]
    [InlineData("server_error", LlmErrorType.UpstreamUnavailable)]
    public async Task SendAsync_StreamErrorEvent_RecordsStreamErrorOfItsCode(string code, LlmErrorType expected)
    {
        _openRouter.Sse("responses", ResponsesSamples.ErrorEventStream(code));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.StreamRequest);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.StreamError, record.Outcome);
        Assert.Equal(expected, record.ErrorType);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
    }

    [Fact]
    public async Task SendAsync_StreamWithOpenRouterErrorChunk_RecordsStreamErrorOfItsStatus()
    {
        _openRouter.Sse("responses", ResponsesSamples.OpenRouterErrorChunkStream());
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await PostAsync(http, ResponsesSamples.StreamRequest);

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.StreamError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
    }

    [Theory]
    [InlineData("responses", LlmEndpoints.Responses)]
    [InlineData("responses/", LlmEndpoints.Responses)]
    [InlineData("responses/resp_1/cancel", LlmEndpoints.Other)]
    [InlineData("chat/completions", LlmEndpoints.ChatCompletions)]
    public async Task SendAsync_Path_MapsToItsEndpoint(string path, string endpoint)
    {
        _openRouter.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/api/v1/*").UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(ResponsesSamples.Answer()));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAsync(path, LlmMeterHandlerTests.Json(ResponsesSamples.Request));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(endpoint, (await _sink.SingleAsync()).Endpoint);
    }

    [Fact]
    public async Task Send_JsonAnswerOnTheSyncPath_RecordsTheSameAsTheAsyncPath()
    {
        _openRouter.Json("responses", ResponsesSamples.Answer());
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "responses") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(ResponsesSamples.Request)) })
        using (var response = http.Send(request))
        using (var reader = new StreamReader(response.Content.ReadAsStream()))
        {
            Assert.Equal(ResponsesSamples.Answer(), reader.ReadToEnd());
        }

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.Equal(ResponsesSamples.Model, record.RequestedModel);
        Assert.Equal(15, record.InputTokens);
        Assert.Equal(212, record.OutputTokens);
        Assert.Equal(0.0009493m, record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_CallerStopsReadingAtTheTerminalEvent_RecordsSuccessAtOnce()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        var body = ResponsesSamples.Stream(done: true);
        var done = body.IndexOf("data: [DONE]", StringComparison.Ordinal);
        server.Stream([body[..done], body[done..]], _ => never.Task);
        using var http = Metered.Client(server.BaseAddress, _sink);

        using var request = new HttpRequestMessage(HttpMethod.Post, "responses") { Content = LlmMeterHandlerTests.Json(ResponsesSamples.StreamRequest) };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, "\"type\":\"response.completed\"");

        var record = await _sink.SingleAsync(); // Before the caller disposes: the terminal event ended the call.
        response.Dispose();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal(30, record.OutputTokens);
    }

    [Fact]
    public async Task SendAsync_CallerAbortsMidStream_ApproximatesTokensFromInstructionsInputAndEveryDelta()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        var body = ResponsesSamples.Stream();
        var cut = body.IndexOf("data: {\"type\":\"response.output_text.done\"", StringComparison.Ordinal);
        server.Stream([body[..cut], body[cut..]], _ => never.Task);
        using var http = Metered.Client(server.BaseAddress, _sink, o => o.PriceCatalog = Prices);

        var response = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "responses") { Content = LlmMeterHandlerTests.Json(ResponsesSamples.StreamRequest) },
            HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, " world");
        Assert.Empty(_sink.Records);
        response.Dispose();

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Contains("tokens_approximated", record.Warnings!);

        // Instructions "Be brief." (9) + the input's strings "message", "user", "input_text", "Say hello." (31).
        Assert.Equal((9 + 31 + 3) / 4, record.InputTokens);

        // Reasoning "Greeting." (9) + text "Hello" and " world" (11): reasoning is billed output too.
        Assert.Equal((20 + 3) / 4, record.OutputTokens);
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal((record.InputTokens * 0.0000011m) + (record.OutputTokens * 0.0000044m), record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_ReasoningThenText_TtftIsAtTheFirstTextDeltaOnTheInjectedClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero));
        await using var server = await KestrelOpenRouter.StartAsync();
        var firstGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = ResponsesSamples.Stream();
        var text = body.IndexOf("data: {\"type\":\"response.output_text.delta\"", StringComparison.Ordinal);
        var rest = body.IndexOf("data: {\"type\":\"response.output_text.done\"", StringComparison.Ordinal);
        server.Stream([body[..text], body[text..rest], body[rest..]], i => i == 1 ? firstGate.Task : secondGate.Task);
        using var http = Metered.Client(server.BaseAddress, _sink, time: time);

        using var request = new HttpRequestMessage(HttpMethod.Post, "responses") { Content = LlmMeterHandlerTests.Json(ResponsesSamples.StreamRequest) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        time.Advance(TimeSpan.FromMilliseconds(20));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, "Greeting.");
        time.Advance(TimeSpan.FromMilliseconds(80));
        firstGate.SetResult();
        await ReadUntilAsync(reader, " world");
        time.Advance(TimeSpan.FromMilliseconds(50));
        secondGate.SetResult();
        await reader.ReadToEndAsync();

        var record = await _sink.SingleAsync();
        Assert.Equal(0, record.HeadersMs);
        Assert.Equal(100, record.TtftMs); // Not 20: the reasoning summary came first, the text at +100 ms.
        Assert.Equal(150, record.LatencyMs);
    }

    internal static async Task<string> PostAsync(HttpClient http, string json, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "responses") { Content = LlmMeterHandlerTests.Json(json) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task ReadUntilAsync(StreamReader reader, string marker)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException($"The stream ended before '{marker}'.");
    }
}
