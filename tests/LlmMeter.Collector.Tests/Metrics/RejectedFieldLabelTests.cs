using LlmMeter.Collector.Metrics;

namespace LlmMeter.Collector.Tests.Metrics;

public sealed class RejectedFieldLabelTests
{
    [Theory]
    [InlineData("served_model", "served_model")]
    [InlineData("cost_usd", "cost_usd")]
    [InlineData(null, RejectedFieldLabel.None)]
    [InlineData("servedModel", RejectedFieldLabel.Other)]
    [InlineData("x_anything_a_client_sends", RejectedFieldLabel.Other)]
    public void Of_Field_IsARecordFieldNoneOrOther(string? field, string expected) =>
        Assert.Equal(expected, RejectedFieldLabel.Of(field));

    [Fact]
    public void Known_EveryWireFormatField_AndNothingElse()
    {
        Assert.Equal(30, RejectedFieldLabel.Known.Count());
        Assert.Contains("started_at", RejectedFieldLabel.Known);
        Assert.DoesNotContain(RejectedFieldLabel.Other, RejectedFieldLabel.Known);
    }
}
