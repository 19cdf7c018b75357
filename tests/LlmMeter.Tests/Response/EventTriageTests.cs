using System.Text;
using LlmMeter.Response;

namespace LlmMeter.Tests.Response;

/// <summary>Which stream chunks the byte searches may triage, and names written with escapes.</summary>
public sealed class EventTriageTests
{
    private const string Head = "\"id\":\"gen-e\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\"";

    [Theory]
    [InlineData("""{"choices":[{"delta":{"content":"plain"}}]}""", true)]
    [InlineData("""{"choices":[{"delta":{"content":"caf\u00e9 \u4e2d\n\"q\" \\ \u000a"}}]}""", true)]
    [InlineData("""{"choices":[{"delta":{"\u0063ontent":"x"}}]}""", false)]
    [InlineData("""{"choices":[{"delta":{"CONTENT\u005F":"x"}}]}""", false)]
    [InlineData("""{"choices":[],"us\u0061ge":{"prompt_tokens":1}}""", false)]
    [InlineData("""{"choices":[],"\u0075sage":{"prompt_tokens":1}}""", false)]
    [InlineData("""{"choices":[],"usag\u0065":{"prompt_tokens":1}}""", false)]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":1}}\u00""", true)]
    public void CanTriage_Chunk_FalseWhenANameMayBeEscaped(string json, bool expected) =>
        Assert.Equal(expected, EventTriage.CanTriage(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void CanTriage_ChunkLargerThanTheLimit_False()
    {
        var json = "{\"choices\":[{\"delta\":{\"content\":\"" + new string('a', ScanLimits.MaxKeptBytes) + "\"}}]}";

        Assert.False(EventTriage.CanTriage(Encoding.UTF8.GetBytes(json)));
        Assert.True(EventTriage.CanTriage(Encoding.UTF8.GetBytes(json)[..ScanLimits.MaxKeptBytes]));
    }

    [Fact]
    public void Parse_EscapedUsageFollowedByMoreChunksThanAreKept_RecordsTheUsage()
    {
        // The usage chunk is not the last: triage once took it for a delta and kept it among the last four events,
        // which the chunks after it pushed out.
        var body = Deltas(20)
            .Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n")
            .Text($"data: {{{Head},\"choices\":[],\"us\\u0061ge\":{{\"prompt_tokens\":12,\"completion_tokens\":34,\"\\u0063ost\":0.0042,\"prompt_tokens_details\":{{\"\\u0063ached_tokens\":2}}}}}}\n\n");
        for (var i = 0; i < 6; i++)
        {
            body.Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":null}}]}}\n\n");
        }

        var parsed = body.Text("data: [DONE]\n\n").Parse(eventStream: true, () => 1 << 20);

        Assert.Empty(parsed.Warnings);
        IncrementalJsonScannerTests.AssertUsage(parsed.Facts);
    }

    [Fact]
    public void Parse_EscapedContentNameInTriagedDeltas_CountsTheirContent()
    {
        var body = Deltas(10).Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"\\u0063ontent\":\"escaped\"}},\"finish_reason\":null}}]}}\n\n");

        var parsed = body.Parse(eventStream: true, () => 1 << 20);

        Assert.Equal(2 + (10 * 2) + "escaped".Length, parsed.Facts.ContentBytes);
    }

    [Fact]
    public void Parse_EscapedNonAsciiContentInTriagedDeltas_CountsItAsWritten()
    {
        var body = Deltas(10).Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"caf\\u00e9\"}},\"finish_reason\":\"stop\"}}]}}\n\n");

        var parsed = body.Parse(eventStream: true, () => 1 << 20);

        Assert.Equal(2 + (10 * 2) + "caf\\u00e9".Length, parsed.Facts.ContentBytes);
        Assert.Equal("stop", parsed.Facts.FinishReason);
    }

    private static GeneratedBody Deltas(int count)
    {
        var body = new GeneratedBody().Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\n\n");
        for (var i = 0; i < count; i++)
        {
            body.Text($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"d{i % 10}\"}},\"finish_reason\":null}}]}}\n\n");
        }

        return body;
    }
}
