using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Response;

/// <summary>
/// One very large token through the handler over a real socket: the caller reads it in any size and gets every
/// byte, and the record still has the usage and cost that follow it.
/// </summary>
public sealed class LargeTokenTests
{
    private readonly CollectingSink _sink = new();

    [Theory]
    [InlineData(false, 16 << 20, 1024)]
    [InlineData(false, 1 << 20, 7)]
    [InlineData(false, 50 << 20, 65536)]
    [InlineData(true, 16 << 20, 1024)]
    [InlineData(true, 1 << 20, 7)]
    public async Task Read_OneLargeTokenInAnyReadSize_RecordsTheUsageAfterIt(bool stream, int tokenBytes, int readSize)
    {
        var token = new GeneratedBody().Run("QUJD", tokenBytes);
        var body = stream ? SseParserTests.Stream(token, "\n") : IncrementalJsonScannerTests.Chat(token);
        await using var server = await KestrelOpenRouter.StartAsync();
        server.Handle(async ctx =>
        {
            ctx.Response.ContentType = stream ? "text/event-stream" : "application/json";
            ctx.Response.ContentLength = stream ? null : body.Length;
            foreach (var piece in body.Pieces(() => 1 << 16))
            {
                await ctx.Response.Body.WriteAsync(piece, ctx.RequestAborted);
            }
        });
        using var http = Metered.Client(server.BaseAddress, _sink);

        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = LlmMeterHandlerTests.Json($$"""{"model":"openai/gpt-4o","stream":{{(stream ? "true" : "false")}}}"""),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var content = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[readSize];
        long received = 0;
        while (await content.ReadAsync(buffer) is var n and > 0)
        {
            received += n;
        }

        Assert.Equal(body.Length, received);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Null(record.Warnings);
        Assert.Equal("openai/gpt-4o", record.ServedModel);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(12, record.InputTokens);
        Assert.Equal(34, record.OutputTokens);
        Assert.Equal(0.0042m, record.CostUsd);
    }
}
