using LlmMeter.Tests.Response;

namespace LlmMeter.Tests.Responses;

/// <summary>Responses API bodies with one huge output text: scanned in bounded work and memory, facts intact.</summary>
public sealed class ResponsesLargeTokenTests
{
    private const string Base64 = "QUJDRA==";

    [Theory]
    [InlineData(16 << 20, 7)]
    [InlineData(16 << 20, 1024)]
    [InlineData(16 << 20, 65536)]
    public void Parse_JsonAnswerWithHugeOutputText_WorkAndKeptBytesBounded(int textBytes, int readSize)
    {
        var body = new GeneratedBody()
            .Text("""{"id":"gen-resp-1","object":"response","model":"openai/gpt-4o","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":" """.TrimEnd())
            .Run(Base64, textBytes)
            .Text("""  "}]}],"usage":{"input_tokens":12,"output_tokens":34,"cost":0.5}}""".TrimStart());

        var parsed = body.Parse(eventStream: false, () => readSize, responsesApi: true);

        Assert.Empty(parsed.Warnings);
        Assert.Equal("gen-resp-1", parsed.Facts.Id);
        Assert.Equal("openai/gpt-4o", parsed.Facts.Model);
        Assert.Equal(12, parsed.Facts.PromptTokens);
        Assert.Equal(34, parsed.Facts.CompletionTokens);
        Assert.Equal(0.5m, parsed.Facts.Cost);
        Assert.InRange(parsed.BytesExamined / (double)body.Length, 1, IncrementalJsonScannerTests.MaxWorkPerByte);
        Assert.InRange(parsed.KeptCapacity, 0, IncrementalJsonScannerTests.MaxKeptCapacity);
    }

    [Theory]
    [InlineData(16 << 20, 1024)]
    [InlineData(16 << 20, 65536)]
    public void Parse_StreamWithHugeDelta_DeltaMeasuredAndKeptBytesBounded(int deltaBytes, int readSize)
    {
        var body = new GeneratedBody()
            .Text("data: {\"type\":\"response.created\",\"response\":{\"id\":\"gen-resp-2\",\"model\":\"openai/gpt-4o\",\"status\":\"in_progress\"}}\n\n")
            .Text("data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"delta\":\"")
            .Run(Base64, deltaBytes)
            .Text("\"}\n\n")
            .Text("data: {\"type\":\"response.completed\",\"response\":{\"id\":\"gen-resp-2\",\"model\":\"openai/gpt-4o\",\"status\":\"completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":6}}}\n\n");

        var parsed = body.Parse(eventStream: true, () => readSize, responsesApi: true);

        Assert.Empty(parsed.Warnings);
        Assert.Equal("openai/gpt-4o", parsed.Facts.Model);
        Assert.Equal(5, parsed.Facts.PromptTokens);
        Assert.Equal(6, parsed.Facts.CompletionTokens);
        Assert.Equal("stop", parsed.Facts.FinishReason);
        Assert.True(parsed.Facts.ContentBytes >= deltaBytes, $"delta measured {parsed.Facts.ContentBytes} of {deltaBytes} bytes");
        Assert.InRange(parsed.KeptCapacity, 0, IncrementalJsonScannerTests.MaxKeptCapacity);
    }
}
