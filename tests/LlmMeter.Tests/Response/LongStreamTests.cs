using System.Text;
using LlmMeter.Pricing;
using LlmMeter.Response;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Response;

/// <summary>Streams long enough for the meter to stop parsing content deltas and keep only the last events.</summary>
public sealed class LongStreamTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Fact]
    public async Task SendAsync_ManyDeltasThenFinishAndUsage_RecordsFinishReasonAndUsage()
    {
        var body = Stream(deltas: 120, finish: "length", usage: true, error: false);
        _openRouter.Sse("chat/completions", body);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var received = await StreamingTests.ReadStreamAsync(http, """{"model":"openai/gpt-4o","stream":true}""");

        Assert.Equal(body, received);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("length", record.FinishReason);
        Assert.Equal(120, record.OutputTokens);
        Assert.Equal(0.0009m, record.CostUsd);
    }

    [Fact]
    public async Task SendAsync_ManyDeltasThenMidStreamError_RecordsStreamError()
    {
        _openRouter.Sse("chat/completions", Stream(deltas: 60, finish: null, usage: false, error: true));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await StreamingTests.ReadStreamAsync(http, """{"model":"openai/gpt-4o","stream":true}""");

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.StreamError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Equal("error", record.FinishReason);
    }

    [Fact]
    public async Task SendAsync_ManyDeltasReadOneEventAtATime_GivesTheSameRecordAsOneRead()
    {
        var body = Stream(deltas: 40, finish: "stop", usage: true, error: false);
        _openRouter.Sse("chat/completions", body);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        await StreamingTests.ReadStreamAsync(http, """{"model":"openai/gpt-4o","stream":true}""");
        var whole = await _sink.NextAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o","stream":true}""") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        foreach (var piece in StreamingTests.SplitEvents(body))
        {
            var buffer = new byte[Encoding.UTF8.GetByteCount(piece)];
            await stream.ReadExactlyAsync(buffer);
        }

        var perEvent = await _sink.NextAsync();
        Assert.Equal(Normalize(whole), Normalize(perEvent));
    }

    [Fact]
    public async Task SendAsync_AbortedAfterManyDeltas_ApproximatesOutputFromAllStreamedContent()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        var events = StreamingTests.SplitEvents(Stream(deltas: 50, finish: null, usage: false, error: false));
        server.Stream([string.Concat(events), ": OPENROUTER PROCESSING\n\n"], _ => never.Task);
        var prices = ModelPriceCatalog.From([new("openai/gpt-4o", new ModelPrice(Prompt: 0.000001m, Completion: 0.00001m))]);
        using var http = Metered.Client(server.BaseAddress, _sink, o => o.PriceCatalog = prices);

        var response = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"abcdefgh"}]}""") },
            HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.Contains("tok49", StringComparison.Ordinal))
        {
        }

        response.Dispose();

        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Contains("tokens_approximated", record.Warnings!);
        var contentBytes = Enumerable.Range(0, 50).Sum(i => $"tok{i} ".Length);
        Assert.Equal((contentBytes + 3) / 4, record.OutputTokens);
        Assert.Equal(3, record.InputTokens); // "user" + "abcdefgh" = 12 characters.
    }

    [Theory]
    [InlineData("""{"choices":[{"delta":{"content":"ab\"c\\d"},"finish_reason":null}]}""", 8)]
    [InlineData("""{"choices":[{"delta":{"content" : "abc"}}]}""", 3)]
    [InlineData("""{"choices":[{"delta":{"content":""}}]}""", 0)]
    [InlineData("""{"choices":[{"delta":{"x":"content","content":"ab"}}]}""", 2)]
    [InlineData("""{"choices":[{"delta":{"role":"assistant"}}]}""", 0)]
    [InlineData("""{"choices":[{"delta":{"content":"unterminated}}]}""", 0)]
    public void ContentBytes_Chunk_CountsTheFirstContentString(string json, int expected) =>
        Assert.Equal(expected, EventTriage.ContentBytes(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":1}}""", true)]
    [InlineData("""{"choices":[],"usage" : {"prompt_tokens":1}}""", true)]
    [InlineData("""{"choices":[],"usage":null}""", false)]
    [InlineData("""{"note":"usage","usage":{"prompt_tokens":1}}""", true)]
    [InlineData("""{"choices":[{"delta":{"content":"\"usage\":{"}}]}""", false)]
    public void HasUsage_Chunk_FindsOnlyAUsageObject(string json, bool expected) =>
        Assert.Equal(expected, EventTriage.HasUsage(Encoding.UTF8.GetBytes(json)));

    private static string Stream(int deltas, string? finish, bool usage, bool error)
    {
        var sb = new StringBuilder();
        const string head = "\"id\":\"gen-long\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\"";
        sb.Append("data: {").Append(head).Append(",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
        for (var i = 0; i < deltas; i++)
        {
            sb.Append("data: {").Append(head).Append(",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok").Append(i).Append(" \"},\"finish_reason\":null}]}\n\n");
        }

        if (error)
        {
            sb.Append("data: {").Append(head).Append(",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n");
            return sb.ToString();
        }

        if (finish is not null)
        {
            sb.Append("data: {").Append(head).Append(",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"").Append(finish).Append("\"}]}\n\n");
            sb.Append(": OPENROUTER PROCESSING\n\n");
        }

        if (usage)
        {
            sb.Append("data: {").Append(head).Append(",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":")
                .Append(deltas).Append(",\"total_tokens\":").Append(deltas + 10).Append(",\"cost\":0.0009}}\n\n");
            sb.Append("data: [DONE]\n\n");
        }

        return sb.ToString();
    }

    private static string Normalize(LlmCallRecord record) =>
        LlmMeterJson.Serialize(record with { StartedAt = default, LatencyMs = 0, HeadersMs = null, TtftMs = null });
}
