using System.Net;
using Microsoft.AspNetCore.Http;
using System.Text;
using LlmMeter.Pricing;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Response;

public sealed class StreamingTests : IDisposable
{
    private const string StreamRequest = """{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"Count to three, slowly please."}]}""";

    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task SendAsync_UsageOnEmptyChoicesChunk_RecordsUsageCostAndServedModel(string newline)
    {
        var body = OpenRouterSamples.StreamUsageOnEmptyChoices(newline: newline);
        _openRouter.Sse("chat/completions", body);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var received = await ReadStreamAsync(http, StreamRequest);

        Assert.Equal(body, received);
        var record = await _sink.SingleAsync();
        Assert.True(record.Stream);
        Assert.Equal("gen-s1", record.Id);
        Assert.Equal("openai/gpt-4o", record.ServedModel);
        Assert.Equal("OpenAI", record.Provider);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(12, record.InputTokens);
        Assert.Equal(4, record.CachedInputTokens);
        Assert.Equal(2, record.OutputTokens);
        Assert.Equal(0.00042m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.NotNull(record.TtftMs);
        Assert.True(record.TtftMs <= record.LatencyMs);
        Assert.Null(record.Warnings);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task SendAsync_UsageOnOneElementChoicesChunk_RecordsUsageFromThatChunk(string newline)
    {
        _openRouter.Sse("chat/completions", OpenRouterSamples.StreamUsageOnOneChoice(newline: newline));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await ReadStreamAsync(http, """{"model":"anthropic/claude-3.5-sonnet","stream":true}""");

        var record = await _sink.SingleAsync();
        Assert.Equal(30, record.InputTokens);
        Assert.Equal(10, record.CacheWriteTokens);
        Assert.Equal(3, record.OutputTokens);
        Assert.Equal(1, record.ReasoningTokens);
        Assert.Equal(0.000135m, record.CostUsd);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal("Anthropic", record.Provider);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    [Theory]
    [InlineData("502", LlmErrorType.UpstreamUnavailable)]
    [InlineData("\"server_error\"", LlmErrorType.UpstreamUnavailable)]
    [InlineData("429", LlmErrorType.RateLimited)]
    [InlineData("\"rate_limit_exceeded\"", LlmErrorType.RateLimited)]
    public async Task SendAsync_MidStreamError_RecordsStreamErrorWithStatus200(string code, LlmErrorType expected)
    {
        var body = OpenRouterSamples.StreamMidError(code);
        _openRouter.Sse("chat/completions", body);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var received = await ReadStreamAsync(http, StreamRequest);

        Assert.Equal(body, received);
        var record = await _sink.SingleAsync();
        Assert.Equal(200, record.StatusCode);
        Assert.Equal(LlmCallOutcome.StreamError, record.Outcome);
        Assert.Equal(expected, record.ErrorType);
        Assert.Equal("error", record.FinishReason);
    }

    [Fact]
    public async Task SendAsync_ChunksWithDelays_MeasuresTimeToFirstTokenAndLatencyOnTheInjectedClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 10, 0, 0, 123, TimeSpan.Zero));
        await using var server = await KestrelOpenRouter.StartAsync();
        var firstGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var chunks = SplitEvents(OpenRouterSamples.StreamUsageOnEmptyChoices());

        // Piece 0: keep-alive + role chunk (empty content); piece 1: first content; piece 2: the rest.
        server.Stream(
            [chunks[0] + chunks[1] + chunks[2], chunks[3], string.Concat(chunks.Skip(4))],
            i => i == 1 ? firstGate.Task : secondGate.Task);
        using var http = Metered.Client(server.BaseAddress, _sink, time: time);

        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(StreamRequest) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        time.Advance(TimeSpan.FromMilliseconds(20)); // Headers arrived at +0 ms on the fake clock.
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, "\"role\"");
        time.Advance(TimeSpan.FromMilliseconds(80));
        firstGate.SetResult();
        await ReadUntilAsync(reader, "Hello");
        time.Advance(TimeSpan.FromMilliseconds(50));
        secondGate.SetResult();
        await reader.ReadToEndAsync();

        var record = await _sink.SingleAsync();
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 0, 0, 123, TimeSpan.Zero), record.StartedAt);
        Assert.Equal(0, record.HeadersMs);
        Assert.Equal(100, record.TtftMs);
        Assert.Equal(150, record.LatencyMs);
    }

    [Fact]
    public async Task SendAsync_CallerDisposesEarly_RecordsAbortedWithApproximatedTokensAndEstimatedCost()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        var chunks = SplitEvents(OpenRouterSamples.StreamUsageOnEmptyChoices());
        server.Stream([chunks[2] + chunks[3], chunks[4]], _ => never.Task);
        var prices = ModelPriceCatalog.From([new("openai/gpt-4o", new ModelPrice(Prompt: 0.0000025m, Completion: 0.00001m))]);
        using var http = Metered.Client(server.BaseAddress, _sink, o => o.PriceCatalog = prices);

        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(StreamRequest) }, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, "Hello");
        Assert.Empty(_sink.Records);
        response.Dispose();

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Equal(200, record.StatusCode);
        Assert.Contains("tokens_approximated", record.Warnings!);
        Assert.Equal((("Count to three, slowly please.".Length + 4 + 3) / 4), record.InputTokens); // "user" + content
        Assert.Equal(2, record.OutputTokens); // "Hello" = 5 bytes -> 2 tokens
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal((record.InputTokens * 0.0000025m) + (2 * 0.00001m), record.CostUsd);
        Assert.NotNull(record.TtftMs);
    }

    [Fact]
    public async Task ReadAsync_CallerCancels_RecordsAbortedAndTheCallerSeesItsOwnCancellation()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        var chunks = SplitEvents(OpenRouterSamples.StreamUsageOnEmptyChoices());
        server.Stream([chunks[3], chunks[4]], _ => never.Task);
        using var http = Metered.Client(server.BaseAddress, _sink);
        using var cts = new CancellationTokenSource();

        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(StreamRequest) }, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (!text.ToString().Contains("Hello", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        var pending = stream.ReadAsync(buffer, cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
    }

    [Fact]
    public async Task SendAsync_CancelledBeforeHeaders_RecordsAborted()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Handle(async ctx =>
        {
            arrived.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        });
        using var http = Metered.Client(server.BaseAddress, _sink);
        using var cts = new CancellationTokenSource();

        var call = http.PostAsync("chat/completions", Json(StreamRequest), cts.Token);
        await arrived.Task;
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Null(record.StatusCode);
    }

    [Fact]
    public async Task SendAsync_ServerDropsConnectionMidStream_RecordsNetworkError()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var chunks = SplitEvents(OpenRouterSamples.StreamUsageOnEmptyChoices());
        var readByClient = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Handle(async ctx =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync(chunks[3]);
            await ctx.Response.Body.FlushAsync();
            await readByClient.Task;
            ctx.Abort();
        });
        using var http = Metered.Client(server.BaseAddress, _sink);

        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(StreamRequest) }, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, "Hello");
        readByClient.SetResult();

        await Assert.ThrowsAnyAsync<IOException>(() => reader.ReadToEndAsync());
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
        Assert.Equal(200, record.StatusCode);
    }

    [Fact]
    public async Task SendAsync_CallerNeverDisposes_RecordIsStillFinishedOnce()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        var chunks = SplitEvents(OpenRouterSamples.StreamUsageOnEmptyChoices());
        server.Stream([chunks[3], chunks[4]], _ => never.Task);
        using var http = Metered.Client(server.BaseAddress, _sink);

        await StartAndDropAsync(http);
        for (var i = 0; i < 50 && _sink.Records.Count == 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Equal("openai/gpt-4o", record.RequestedModel);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Single(_sink.Records);
    }

    internal static async Task<string> ReadStreamAsync(HttpClient http, string requestJson)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(requestJson) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        return await reader.ReadToEndAsync();
    }

    /// <summary>Splits an SSE body after each blank line, keeping the separators.</summary>
    internal static List<string> SplitEvents(string body)
    {
        var parts = body.Split("\n\n");
        return [.. parts.Select((e, i) => i < parts.Length - 1 ? e + "\n\n" : e).Where(e => e.Length > 0)];
    }

    private static StringContent Json(string json) => LlmMeterHandlerTests.Json(json);

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

    // Separate frame so that nothing on the test's stack keeps the response alive.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task StartAndDropAsync(HttpClient http)
    {
        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(StreamRequest) }, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        _ = await stream.ReadAsync(buffer);
    }
}
