using LlmMeter.Record.Internal;

namespace LlmMeter.Tests.Sink.Internal;

public sealed class RecordFieldsTests
{
    [Theory]
    [InlineData("served_model", "served_model")]
    [InlineData("started_at", "started_at")]
    [InlineData("tags.team", "tags")]
    [InlineData("fallback_models[2]", "fallback_models")]
    [InlineData("routing.rule_id", "routing")]
    [InlineData("ServedModel", "other")]
    [InlineData("no_such_field", "other")]
    [InlineData("", "other")]
    [InlineData(null, "other")]
    public void Tag_FieldFromTheCollector_IsATopLevelWireNameOrOther(string? field, string expected)
    {
        Assert.Equal(expected, RecordFields.Tag(field));
    }

    [Fact]
    public void Tag_EveryFieldOfASerializedRecord_IsItsOwnTag()
    {
        var json = System.Text.Json.JsonDocument.Parse(LlmMeterJson.Serialize(SinkTestKit.Call()));

        Assert.All(json.RootElement.EnumerateObject(), p => Assert.Equal(p.Name, RecordFields.Tag(p.Name)));
    }
}
