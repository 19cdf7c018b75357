using System.Text;
using LlmMeter.Response;
using LlmMeter.Response.Responses;

namespace LlmMeter.Tests.Responses;

/// <summary>Delta events measured without a parse must give what a parse gives; anything else is left to the parser.</summary>
public sealed class ResponsesEventTriageTests
{
    [Theory]
    [InlineData("""{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello","sequence_number":3}""", 5, false)]
    [InlineData("""{"type":"response.output_text.delta","delta":"say \"hi\"\\","sequence_number":3}""", 12, false)]
    [InlineData("""{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Hmm.","sequence_number":2}""", 4, true)]
    [InlineData("""{"type":"response.reasoning_text.delta","delta":"","sequence_number":2}""", 0, true)]
    [InlineData("""{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"city\":","sequence_number":2}""", 10, false)]
    public void TryMeasureDelta_DeltaEvent_MeasuresItsDeltaAsWritten(string json, int bytes, bool reasoning)
    {
        Assert.True(ResponsesEventTriage.TryMeasureDelta(Encoding.UTF8.GetBytes(json), out var measured, out var isReasoning));
        Assert.Equal(bytes, measured);
        Assert.Equal(reasoning, isReasoning);
    }

    [Theory]
    [InlineData("""{"item_id":"msg_1","delta":"Hello","type":"response.output_text.delta"}""")] // Type not first.
    [InlineData("""{ "type": "response.output_text.delta", "delta": "Hello" }""")] // Spaces.
    [InlineData("""{"type":"response.output_text.done","text":"Hello"}""")]
    [InlineData("""{"type":"response.completed","response":{"usage":{"input_tokens":1}}}""")]
    [InlineData("""{"type":"error","code":"server_error","message":"delta"}""")]
    [InlineData("""{"type":"response.output_text.delta","delta":"unterminated""")]
    public void TryMeasureDelta_AnyOtherShape_LeavesItToTheParser(string json) =>
        Assert.False(ResponsesEventTriage.TryMeasureDelta(Encoding.UTF8.GetBytes(json), out _, out _));

    [Fact]
    public void Feed_DeltaEventsWithTypeLast_ParsedToTheSameFactsAsTheMeasuredOnes()
    {
        var measured = Parse(
            """data: {"type":"response.reasoning_text.delta","delta":"Hmm.","sequence_number":1}""",
            """data: {"type":"response.output_text.delta","delta":"Hi \"you\"","sequence_number":2}""");
        var parsed = Parse(
            """data: {"sequence_number":1,"delta":"Hmm.","type":"response.reasoning_text.delta"}""",
            """data: {"sequence_number":2,"delta":"Hi \"you\"","type":"response.output_text.delta"}""");

        Assert.Equal(4 + 10, measured.ContentBytes); // "Hi \"you\"" as written: 10 bytes.
        Assert.True(measured.SawToken);
        Assert.Equal(measured.ContentBytes, parsed.ContentBytes);
        Assert.Equal(measured.SawToken, parsed.SawToken);
    }

    [Fact]
    public void Feed_OnlyReasoningDeltas_NoFirstTokenYet()
    {
        var facts = Parse(
            """data: {"type":"response.reasoning_text.delta","delta":"Hmm.","sequence_number":1}""",
            """data: {"sequence_number":2,"delta":"More.","type":"response.reasoning_summary_text.delta"}""");

        Assert.Equal(9, facts.ContentBytes);
        Assert.False(facts.SawToken);
    }

    [Fact]
    public void Feed_AnswerWithKeysInAnyOrder_SettlesFinishReasonWhenTheObjectCloses()
    {
        var facts = new ResponseFacts();
        using var parser = new ResponseBodyParser(facts, eventStream: false, new Warnings(), responsesApi: true);

        parser.Feed("""{"incomplete_details":{"reason":"content_filter"},"usage":{"output_tokens_details":{"reasoning_tokens":3},"output_tokens":9,"input_tokens":4},"status":"incomplete","model":"m","id":"r1"}"""u8);
        parser.Complete();

        Assert.Equal("content_filter", facts.FinishReason);
        Assert.Equal(4, facts.PromptTokens);
        Assert.Equal(9, facts.CompletionTokens);
        Assert.Equal(3, facts.ReasoningTokens);
        Assert.Equal("m", facts.Model);
        Assert.Equal("r1", facts.Id);
    }

    private static ResponseFacts Parse(params string[] events)
    {
        var facts = new ResponseFacts();
        using var parser = new ResponseBodyParser(facts, eventStream: true, new Warnings(), responsesApi: true);
        parser.Feed(Encoding.UTF8.GetBytes(string.Join("\n\n", events) + "\n\n"));
        parser.Complete();
        return facts;
    }

    private sealed class Warnings : IWarningSink
    {
        public void AddWarning(string warning) => throw new InvalidOperationException("unexpected warning " + warning);
    }
}
