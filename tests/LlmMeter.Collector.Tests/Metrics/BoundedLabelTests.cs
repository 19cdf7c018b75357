using LlmMeter.Collector.Metrics;

namespace LlmMeter.Collector.Tests.Metrics;

public sealed class BoundedLabelTests
{
    [Fact]
    public void Bound_ValueAtMaxLength_PassesUnchanged()
    {
        var value = new string('v', BoundedLabel.MaxLength);

        Assert.Same(value, new BoundedLabel(10).Bound(value));
    }

    [Fact]
    public void Bound_ValueLongerThanMaxLength_CutWithAVisibleMarker()
    {
        var label = new BoundedLabel(10);

        var bound = label.Bound(new string('v', BoundedLabel.MaxLength + 1));

        Assert.Equal(BoundedLabel.MaxLength, bound.Length);
        Assert.Equal(new string('v', BoundedLabel.MaxLength - 1) + "\u2026", bound);
    }

    [Fact]
    public void Bound_LongValuesWithTheSamePrefix_ShareOneCutValueAndOneSlot()
    {
        var label = new BoundedLabel(2);
        var prefix = new string('v', BoundedLabel.MaxLength);

        var first = label.Bound(prefix + "1");
        var second = label.Bound(prefix + "2");

        Assert.Equal(first, second);
        Assert.Equal("b", label.Bound("b"));
        Assert.Equal(BoundedLabel.Other, label.Bound("c"));
    }
}
