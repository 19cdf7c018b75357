using System.Text;
using LlmMeter.Response;

namespace LlmMeter.Tests.Response;

/// <summary>
/// A plain JSON body scanned as the caller reads it: one large token (a base64 image, a long tool result) costs
/// work in proportion to its size whatever the read size, and the meter keeps a bounded part of it.
/// </summary>
public sealed class IncrementalJsonScannerTests
{
    // Work per byte: the reader and the token follower each go over a byte about once (measured: 1.0 to 2.1); a
    // rescan of the pending token on every read would be thousands for 7-byte reads, and 8 even for 1 MB in 64 KB.
    internal const double MaxWorkPerByte = 3;

    // Buffers come from the shared pool, rounded up to a power of two.
    internal const int MaxKeptCapacity = 4 * ScanLimits.MaxKeptBytes;

    private const string Base64 = "QUJD";
    private const string Escaped = """ab\"c\\d\u00e9\n """;

    [Theory]
    [InlineData(1 << 20, 7)]
    [InlineData(1 << 20, 65536)]
    [InlineData(16 << 20, 7)]
    [InlineData(16 << 20, 1024)]
    [InlineData(16 << 20, 65536)]
    [InlineData(50 << 20, 1024)]
    public void Feed_OneLargeStringInAnyReadSize_WorkPerByteAndKeptBytesBounded(int tokenBytes, int readSize)
    {
        var body = Chat(content: new GeneratedBody().Run(Base64, tokenBytes));
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var parsed = body.Parse(eventStream: false, () => readSize);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Empty(parsed.Warnings);
        Assert.Equal(tokenBytes, parsed.Facts.ContentBytes);
        AssertUsage(parsed.Facts);
        Assert.InRange(parsed.BytesExamined / (double)body.Length, 1, MaxWorkPerByte);
        Assert.InRange(parsed.KeptCapacity, 0, MaxKeptCapacity);
        Assert.InRange(allocated, 0, readSize + (2 * MaxKeptCapacity)); // The token is never copied whole.
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1024)]
    public void Feed_LargeStringWithEscapesSplitAnywhere_CountsItsBytesAsWritten(int readSize)
    {
        var length = Encoding.UTF8.GetByteCount(Escaped) * 20_000;
        var body = Chat(content: new GeneratedBody().Run(Escaped, length));

        var parsed = body.Parse(eventStream: false, () => readSize);

        Assert.Empty(parsed.Warnings);
        Assert.Equal(length, parsed.Facts.ContentBytes);
        AssertUsage(parsed.Facts);
    }

    [Fact]
    public void Feed_LargeValuesAndNamesTheMeterDoesNotNeed_AreSkippedAndTheRestRead()
    {
        var body = new GeneratedBody()
            .Text("""{"id":"gen-big","model":"openai/gpt-4o","images":[{"image_url":{"url":"data:image/png;base64,""")
            .Run(Base64, 300_000)
            .Text("\"}}],\"")
            .Run("x", 100_000) // A name no one needs, too long to keep.
            .Text("\":{\"deep\":[1,2,{\"a\":\"b\"}]},\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"")
            .Run("""{\"k\":\"QUJD\"}""", 16 * 20_000)
            .Text("\"}}]}}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"cost\":0.0042,\"prompt_tokens_details\":{\"cached_tokens\":2}}}");

        var parsed = body.Parse(eventStream: false, () => 1000);

        Assert.Empty(parsed.Warnings);
        Assert.Equal("gen-big", parsed.Facts.Id);
        Assert.Equal(2, parsed.Facts.ContentBytes);
        Assert.True(parsed.Facts.SawToken);
        AssertUsage(parsed.Facts);
        Assert.InRange(parsed.KeptCapacity, 0, MaxKeptCapacity);
    }

    [Fact]
    public void Feed_NeededValueLongerThanTheKeptLimitSplit_IsKeptWhole()
    {
        var body = new GeneratedBody().Text("{\"id\":\"gen-1\",\"model\":\"").Run("m", 4 * ScanLimits.MaxKeptBytes).Text("\"}");

        var parsed = body.Parse(eventStream: false, () => 4096);

        Assert.Empty(parsed.Warnings);
        Assert.Equal(4 * ScanLimits.MaxKeptBytes, parsed.Facts.Model!.Length);
    }

    [Fact]
    public void Feed_NeededValueLongerThanTheNeededLimit_StopsWithTokenTooLarge()
    {
        var body = new GeneratedBody().Text("{\"id\":\"gen-1\",\"model\":\"").Run("m", ScanLimits.MaxNeededBytes + 1).Text("\"}");

        var parsed = body.Parse(eventStream: false, () => 65536);

        Assert.Equal(["response_token_too_large"], parsed.Warnings);
        Assert.Null(parsed.Facts.Model);
        Assert.Equal("gen-1", parsed.Facts.Id);
    }

    [Fact]
    public void Feed_NumberLongerThanTheLimit_StopsWithTokenTooLarge()
    {
        var body = new GeneratedBody().Text("""{"usage":{"prompt_tokens":""").Run("1", ScanLimits.MaxKeptBytes + 100).Text("}}");

        var parsed = body.Parse(eventStream: false, () => 1000);

        Assert.Equal(["response_token_too_large"], parsed.Warnings);
        Assert.Null(parsed.Facts.PromptTokens);
    }

    [Theory]
    [InlineData("\"abc\u0001def\"")]
    [InlineData("\"abc")]
    public void Feed_LargeStringNotValidJson_WarnsNotJson(string tail)
    {
        var body = new GeneratedBody().Text("{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"").Run(Base64, 200_000).Text(tail);

        var parsed = body.Parse(eventStream: false, () => 1000);

        Assert.Equal(["response_body_not_json"], parsed.Warnings);
        Assert.Equal("m", parsed.Facts.Model);
    }

    [Fact]
    public void Feed_NamesWrittenWithEscapes_AreRecognised()
    {
        var body = new GeneratedBody().Text(
            """{"\u0069d":"gen-esc","\u006Dodel":"openai/gpt-4o","choices":[{"fin\u0069sh_reason":"stop","message":{"\u0063ontent":"Hello"}}],"us\u0061ge":{"prompt_\u0074okens":12,"completion_tokens":34,"\u0063ost":0.0042,"prompt_tokens_details":{"cached_tokens":2}}}""");

        foreach (var size in new[] { 1 << 20, 1, 3 })
        {
            var parsed = body.Parse(eventStream: false, () => size);

            Assert.Empty(parsed.Warnings);
            Assert.Equal("gen-esc", parsed.Facts.Id);
            Assert.Equal(5, parsed.Facts.ContentBytes);
            AssertUsage(parsed.Facts);
        }
    }

    public static TheoryData<string> SplitBodies() => ["long-model", "content-at-limit", "content-over-limit", "escapes-over-limit", "long-name", "comments", "fixture", "numbers"];

    [Theory]
    [MemberData(nameof(SplitBodies))]
    public void Feed_RandomSplits_GiveTheFactsOfOneRead(string name)
    {
        var body = SplitBody(name);
        var whole = body.Parse(eventStream: false, () => 1 << 24).Description;
        Assert.DoesNotContain("warnings=response", whole, StringComparison.Ordinal);

        var random = new Random(name.Length * 7919);
        for (var run = 0; run < 40; run++)
        {
            var small = run % 2 == 0;
            var parsed = body.Parse(eventStream: false, () => small ? random.Next(1, 12) : random.Next(1, 70_000));
            Assert.Equal(whole, parsed.Description);
        }
    }

    internal static void AssertUsage(ResponseFacts facts)
    {
        Assert.Equal("openai/gpt-4o", facts.Model);
        Assert.Equal("stop", facts.FinishReason);
        Assert.Equal(12, facts.PromptTokens);
        Assert.Equal(34, facts.CompletionTokens);
        Assert.Equal(2, facts.CachedTokens);
        Assert.Equal(0.0042m, facts.Cost);
    }

    internal static GeneratedBody Chat(GeneratedBody content) =>
        new GeneratedBody()
            .Text("{\"id\":\"gen-big\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"")
            .Then(content)
            .Text("\"}}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"cost\":0.0042,\"prompt_tokens_details\":{\"cached_tokens\":2}}}");

    private static GeneratedBody SplitBody(string name) => name switch
    {
        "long-model" => new GeneratedBody().Text("{\"error\":{\"message\":\"").Run("Rate limit ", 11 * 10_000).Text("\",\"code\":429},\"model\":\"").Run("m", 100_000).Text("\"}"),
        "content-at-limit" => Chat(new GeneratedBody().Run("a", ScanLimits.MaxKeptBytes - 1)),
        "content-over-limit" => Chat(new GeneratedBody().Run("a", ScanLimits.MaxKeptBytes + 1)),
        "escapes-over-limit" => Chat(new GeneratedBody().Run(Escaped, Encoding.UTF8.GetByteCount(Escaped) * 4000)),
        "long-name" => new GeneratedBody().Text("{\"").Run("n", 70_000).Text("\" : [\"").Run("v", 70_000).Text("\"] , ").Text(OpenRouterSamplesJsonTail),
        "comments" => new GeneratedBody().Text("/* a comment */ {\"id\" : /* * / */ \"gen-c\", // line\n \"model\":\"openai/gpt-4o\", \"usage\":{\"prompt_tokens\" : 12 ,\"completion_tokens\":34}}"),
        "numbers" => new GeneratedBody().Text("""{"usage":{"prompt_tokens":1.2e3,"completion_tokens":-0,"cost":123456789.123456789,"x":[true,false,null,1E-7]}}"""),
        _ => new GeneratedBody().Text(LlmMeter.Tests.Infrastructure.OpenRouterSamples.ChatResponse),
    };

    private const string OpenRouterSamplesJsonTail =
        "\"id\":\"gen-t\",\"model\":\"openai/gpt-4o\",\"choices\":[{\"finish_reason\":\"stop\",\"message\":{\"content\":\"Hi\"}}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}";
}
