using LlmMeter.Record.Internal;

namespace LlmMeter.Tests.Record;

public sealed class RecordLimitsTests
{
    [Theory]
    [InlineData("openai/gpt-4o")]
    [InlineData("")]
    [InlineData("模型/😀")]
    public void Fit_CleanValueWithinLimit_ReturnsTheSameInstance(string value) =>
        Assert.Same(value, RecordLimits.Fit(value, 16));

    [Fact]
    public void Fit_ValueAtLimit_Unchanged()
    {
        var value = new string('m', RecordLimits.MaxModelLength);

        Assert.Same(value, RecordLimits.Fit(value, RecordLimits.MaxModelLength));
    }

    [Fact]
    public void Fit_ValueOneBeyondLimit_CutToTheLimitEndingInTheMarker()
    {
        var fitted = RecordLimits.Fit(new string('m', RecordLimits.MaxModelLength + 1), RecordLimits.MaxModelLength);

        Assert.Equal(RecordLimits.MaxModelLength, fitted.Length);
        Assert.Equal(new string('m', RecordLimits.MaxModelLength - 1) + RecordLimits.CutMarker, fitted);
    }

    [Theory]
    [InlineData("a\u0001b", "a\uFFFDb")]
    [InlineData("a\nb\u007F", "a\uFFFDb\uFFFD")]
    [InlineData("a\u0085b", "a\uFFFDb")]
    public void Fit_ControlCharacters_BecomeReplacementCharacters(string value, string expected) =>
        Assert.Equal(expected, RecordLimits.Fit(value, 16));

    [Fact]
    public void Fit_LoneSurrogates_BecomeReplacementCharacters()
    {
        // Built in code: test data attributes would not keep a lone surrogate.
        Assert.Equal("a\uFFFDb", RecordLimits.Fit("a" + '\uD800' + "b", 16));
        Assert.Equal("\uFFFDx\uFFFD", RecordLimits.Fit(string.Concat('\uDC00', "x", '\uD83D'), 16));
    }

    [Fact]
    public void Fit_CutThroughASurrogatePair_DropsTheWholePair()
    {
        // "abc" + 😀 (a pair): cut to 5, the pair would straddle the marker.
        var fitted = RecordLimits.Fit("abc\uD83D\uDE00def", 5);

        Assert.Equal("abc" + RecordLimits.CutMarker, fitted);
    }

    [Fact]
    public void Fit_PairBeforeTheCut_Kept()
    {
        var fitted = RecordLimits.Fit("a\uD83D\uDE00bcdef", 5);

        Assert.Equal("a\uD83D\uDE00b" + RecordLimits.CutMarker, fitted);
    }

    [Theory]
    [InlineData("plain", false)]
    [InlineData("tab\there", true)]
    [InlineData("c1\u0090", true)]
    [InlineData("ümlaut €", false)]
    public void HasControlCharacters_CategoryCc_Detected(string value, bool expected) =>
        Assert.Equal(expected, RecordLimits.HasControlCharacters(value));
}
