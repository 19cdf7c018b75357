using LlmMeter.Response;

namespace LlmMeter.Tests.Response;

/// <summary>
/// An event stream with one very large event (a long delta, a base64 image, long tool-call arguments): the event
/// is scanned in parts as it arrives, never kept whole, in work proportional to its size whatever the read size.
/// </summary>
public sealed class SseParserTests
{
    private const string Head = "\"id\":\"gen-big\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\"";

    [Theory]
    [InlineData(1 << 20, 7)]
    [InlineData(1 << 20, 65536)]
    [InlineData(16 << 20, 7)]
    [InlineData(16 << 20, 1024)]
    [InlineData(16 << 20, 65536)]
    [InlineData(50 << 20, 1024)]
    public void Feed_OneLargeDeltaInAnyReadSize_WorkPerByteAndKeptBytesBounded(int tokenBytes, int readSize)
    {
        var body = Stream(new GeneratedBody().Run("QUJD", tokenBytes), "\n");
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var parsed = body.Parse(eventStream: true, () => readSize);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Empty(parsed.Warnings);
        Assert.Equal(tokenBytes + "Hi".Length + "!".Length, parsed.Facts.ContentBytes);
        IncrementalJsonScannerTests.AssertUsage(parsed.Facts);
        Assert.InRange(parsed.BytesExamined / (double)body.Length, 1, IncrementalJsonScannerTests.MaxWorkPerByte);
        Assert.InRange(parsed.KeptCapacity, 0, IncrementalJsonScannerTests.MaxKeptCapacity);
        Assert.InRange(allocated, 0, readSize + (2 * IncrementalJsonScannerTests.MaxKeptCapacity));
    }

    [Fact]
    public void Feed_LargeToolCallArgumentsAfterManyDeltas_RecordsTheFinishAndUsageAfterThem()
    {
        var body = new GeneratedBody().Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\n\n");
        for (var i = 0; i < 10; i++)
        {
            body.Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"d{i}\"}},\"finish_reason\":null}}]}}\n\n");
        }

        body.Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"id\":\"c1\",\"type\":\"function\",\"function\":{{\"name\":\"save\",\"arguments\":\"")
            .Run("""{\"png\":\"QUJD\"}""", 18 * 100_000)
            .Text("\"}}]},\"finish_reason\":null}]}\n\n")
            .Then(Tail("!", "\n"));

        var parsed = body.Parse(eventStream: true, () => 4096);

        Assert.Empty(parsed.Warnings);
        Assert.Equal(2 + (10 * 2) + 1, parsed.Facts.ContentBytes);
        IncrementalJsonScannerTests.AssertUsage(parsed.Facts);
        Assert.InRange(parsed.KeptCapacity, 0, IncrementalJsonScannerTests.MaxKeptCapacity);
    }

    [Fact]
    public void Feed_LargeEventNotValidJson_WarnsForThatChunkAndReadsTheNext()
    {
        var body = new GeneratedBody()
            .Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\n\n")
            .Text("data: {\"choices\":[{\"delta\":{\"content\":\"").Run("QUJD", 100_000).Text("\"}}]]]\n\n")
            .Then(Tail("!", "\n"));

        foreach (var size in new[] { 1 << 24, 1000 })
        {
            var parsed = body.Parse(eventStream: true, () => size);

            Assert.Equal(["stream_chunk_not_json"], parsed.Warnings);
            IncrementalJsonScannerTests.AssertUsage(parsed.Facts);
        }
    }

    public static TheoryData<string> SplitBodies() =>
        ["lf-over-limit", "crlf-over-limit", "at-limit", "multiline-over-limit", "cr-in-value", "fields", "usage-after-many", "fixture-lf", "fixture-crlf", "fixture-error"];

    [Theory]
    [MemberData(nameof(SplitBodies))]
    public void Feed_RandomSplits_GiveTheFactsOfOneRead(string name)
    {
        var body = SplitBody(name);
        var whole = body.Parse(eventStream: true, () => 1 << 24).Description;
        Assert.DoesNotContain("warnings=response", whole, StringComparison.Ordinal);

        var random = new Random(name.Length * 7919);
        for (var run = 0; run < 40; run++)
        {
            var small = run % 2 == 0;
            var parsed = body.Parse(eventStream: true, () => small ? random.Next(1, 12) : random.Next(1, 70_000));
            Assert.Equal(whole, parsed.Description);
        }
    }

    internal static GeneratedBody Stream(GeneratedBody delta, string newline) =>
        new GeneratedBody()
            .Text($": OPENROUTER PROCESSING{newline}{newline}")
            .Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"Hi\"}},\"finish_reason\":null}}]}}{newline}{newline}")
            .Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"")
            .Then(delta)
            .Text($"\"}},\"finish_reason\":null}}]}}{newline}{newline}")
            .Then(Tail("!", newline));

    private static GeneratedBody Tail(string content, string newline) =>
        new GeneratedBody()
            .Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{content}\"}},\"finish_reason\":\"stop\"}}]}}{newline}{newline}")
            .Text($": OPENROUTER PROCESSING{newline}{newline}")
            .Text($"data: {{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":12,\"completion_tokens\":34,\"cost\":0.0042,\"prompt_tokens_details\":{{\"cached_tokens\":2}}}}}}{newline}{newline}")
            .Text($"data: [DONE]{newline}{newline}");

    private static GeneratedBody SplitBody(string name)
    {
        switch (name)
        {
            case "lf-over-limit":
                return Stream(new GeneratedBody().Run("a", ScanLimits.MaxKeptBytes), "\n");
            case "crlf-over-limit":
                return Stream(new GeneratedBody().Run("""a\"\\\u00e9""", 11 * 7000), "\r\n");
            case "at-limit":
                // The event's data is exactly the limit: kept whole (and triaged) however it is read.
                var head = $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"";
                const string tail = "\"},\"finish_reason\":null}]}";
                return Stream(new GeneratedBody(), "\n").Then(new GeneratedBody()
                    .Text("data: " + head).Run("b", ScanLimits.MaxKeptBytes - head.Length - tail.Length).Text(tail + "\n\n"));
            case "multiline-over-limit":
                return new GeneratedBody()
                    .Text($"data: {{{Head},\ndata: \"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\"}},\"finish_reason\":null}}],\ndata: \"x\":\"")
                    .Run("c", 40_000).Text("\",\ndata: \"y\":\"").Run("c", 40_000).Text("\"}\n\n")
                    .Then(Tail("!", "\n"));
            case "cr-in-value":
                return new GeneratedBody()
                    .Text($"data:{{{Head},\r\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\r\n\r\n")
                    .Text("data:\r\ndata\r\n\n")
                    .Then(Tail("!", "\r\n"));
            case "fields":
                return new GeneratedBody()
                    .Text("event: message\nid: 1\nretry: 10\ndataX: ignored\n: comment\n")
                    .Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\n\n")
                    .Text(": ").Run("long comment ", 13 * 10_000).Text("\n\n")
                    .Text("event: ").Run("e", 100_000).Text("\n\n")
                    .Then(Tail("!", "\n"));
            case "usage-after-many":
                var many = new GeneratedBody().Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\n\n");
                for (var i = 0; i < 30; i++)
                {
                    many.Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"d{i}\"}},\"finish_reason\":null}}]}}\n\n");
                }

                return many.Then(Tail("!", "\n"));
            case "fixture-lf":
                return new GeneratedBody().Text(LlmMeter.Tests.Infrastructure.OpenRouterSamples.StreamUsageOnEmptyChoices());
            case "fixture-crlf":
                return new GeneratedBody().Text(LlmMeter.Tests.Infrastructure.OpenRouterSamples.StreamUsageOnOneChoice(newline: "\r\n"));
            default:
                return new GeneratedBody().Text(LlmMeter.Tests.Infrastructure.OpenRouterSamples.StreamMidError("\"server_error\""));
        }
    }
}
