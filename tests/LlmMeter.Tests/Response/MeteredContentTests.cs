using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace LlmMeter.Tests.Response;

/// <summary>The exception a caller sees with the meter is the one it sees without it: same types, same messages.</summary>
public sealed class MeteredContentTests
{
    public enum Reading
    {
        Buffered,
        ReadAsString,
        StreamCopy,
        StreamRead,
    }

    public static TheoryData<SendMode, Reading> Readings()
    {
        var data = new TheoryData<SendMode, Reading>();
        foreach (var mode in Enum.GetValues<SendMode>())
        {
            foreach (var reading in Enum.GetValues<Reading>())
            {
                data.Add(mode, reading);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task Read_BodyShorterThanContentLength_SameExceptionAsWithoutTheMeter(SendMode mode, Reading reading)
    {
        // The server promises 4 KB, sends the start of a body and closes the connection cleanly.
        await using var server = ShortBodyServer.Start(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
            + """{"id":"gen-short","model":"openai/gpt-4o","choices":[""");
        var sink = new CollectingSink();
        using var bare = new HttpClient(new SocketsHttpHandler()) { BaseAddress = server.BaseAddress };
        using var metered = Metered.Client(server.BaseAddress, sink);

        var expected = await Failure(bare, mode, reading);
        var actual = await Failure(metered, mode, reading);

        Assert.Equal(Chain(expected), Chain(actual));
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
        Assert.Equal(200, record.StatusCode);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Read_CompleteBodyBuffered_RecordedOnceWithTheBytesTheServerSent(SendMode mode)
    {
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var body = OpenRouterSamples.Chat("openai/gpt-4o", content: "caf\\u00e9");
        openRouter.Handle(async ctx =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(body); // chunked: no Content-Length, the end is the end of the stream
        });
        var sink = new CollectingSink();
        using var metered = Metered.Client(openRouter.BaseAddress, sink);

        using var response = await metered.PostAs(mode, "chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}"""));
        var received = await response.ReadAs(mode);

        Assert.Equal(body, received);
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal(50, record.OutputTokens);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task CopyTo_StreamCopiedToTheEnd_EveryByteMeteredOnce(SendMode mode)
    {
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var sse = OpenRouterSamples.StreamUsageOnEmptyChoices("openai/gpt-4o");
        openRouter.Stream([sse[..40], sse[40..]]);
        var sink = new CollectingSink();
        using var metered = Metered.Client(openRouter.BaseAddress, sink);
        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o","stream":true}""") };

        using var response = await metered.SendAs(mode, request, HttpCompletionOption.ResponseHeadersRead);
        using var copy = new MemoryStream();
        if (mode == SendMode.Async)
        {
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(copy);
        }
        else
        {
            response.Content.ReadAsStream().CopyTo(copy);
        }

        Assert.Equal(sse, System.Text.Encoding.UTF8.GetString(copy.ToArray()));
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal(12, record.InputTokens);
        Assert.Equal(2, record.OutputTokens);
        Assert.NotNull(record.TtftMs);
    }

    private static async Task<Exception> Failure(HttpClient client, SendMode mode, Reading reading)
    {
        var completion = reading == Reading.Buffered ? HttpCompletionOption.ResponseContentRead : HttpCompletionOption.ResponseHeadersRead;
        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}""") };
        return await Xunit.Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAs(mode, request, completion);
            switch (reading, mode)
            {
                case (Reading.ReadAsString, _):
                    await response.ReadAs(mode);
                    break;
                case (Reading.StreamCopy, SendMode.Async):
                    await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null);
                    break;
                case (Reading.StreamCopy, SendMode.Sync):
                    response.Content.ReadAsStream().CopyTo(Stream.Null);
                    break;
                case (Reading.StreamRead, _):
                    await using (var stream = mode == SendMode.Async ? await response.Content.ReadAsStreamAsync() : response.Content.ReadAsStream())
                    {
                        var buffer = new byte[7];
                        while ((mode == SendMode.Async ? await stream.ReadAsync(buffer) : stream.Read(buffer)) > 0)
                        {
                        }
                    }

                    break;
            }
        }) ?? throw new Xunit.Sdk.XunitException($"{reading} of a short body did not fail.");
    }

    private static string Chain(Exception exception)
    {
        var links = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            links.Add($"{e.GetType().FullName}: {e.Message}");
        }

        return string.Join(Environment.NewLine, links);
    }
}
