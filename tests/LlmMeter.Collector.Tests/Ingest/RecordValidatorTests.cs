using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Ingest;

public sealed class RecordValidatorTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string> Limits => RecordLimitCases.All;

    [Theory]
    [MemberData(nameof(Limits))]
    public void Validate_ValueAtLimit_AcceptedAndOneBeyond_RefusedNamingTheField(string property, string atLimit, string beyond)
    {
        Assert.Null(RecordValidator.Validate(Read(property, atLimit), s_now));

        var refused = RecordValidator.Validate(Read(property, beyond), s_now);

        Assert.NotNull(refused);
        Assert.Equal(property, refused.Value.Field);
        Assert.False(string.IsNullOrWhiteSpace(refused.Value.Message));
    }

    [Fact]
    public void Validate_StartedAtOneDayAheadAndJustBeyond_AcceptedThenRefused()
    {
        var record = Records.Call();

        Assert.Null(RecordValidator.Validate(record with { StartedAt = s_now.AddDays(1) }, s_now));
        Assert.Equal("started_at", RecordValidator.Validate(record with { StartedAt = s_now.AddDays(1).AddMilliseconds(1) }, s_now)?.Field);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Validate_NonFiniteLatency_Refused(double latency) =>
        Assert.Equal("latency_ms", RecordValidator.Validate(Records.Call() with { LatencyMs = latency }, s_now)?.Field);

    private static LlmCallRecord Read(string property, string json)
    {
        var text = RecordLimitCases.With(Records.Call(), property, json).ToJsonString();
        var parsed = RecordParser.ParseArray(System.Text.Encoding.UTF8.GetBytes("[" + text + "]"), 10);
        Assert.Empty(parsed.Rejected);
        return Assert.Single(parsed.Records);
    }
}
