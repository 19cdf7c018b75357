using System.Text;
using LlmMeter.Collector.Ingest;
using static LlmMeter.Collector.Tests.Ingest.RecordJson;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>The parser with its two readers: records on the fast path and those left to the serializer come out alike.</summary>
public sealed class RecordParserTests
{
    // Fast, fallback (other enum spelling, duplicate, no tags), fast, fallback (escaped name), fast.
    private static readonly string[] s_mixed =
    [
        LlmMeterJson.Serialize(Full()),
        Replacing("outcome", "\"HttpError\""),
        With("\"cost_usd\":1,\"cost_usd\":2.5,\"tags\":{\"team\":\"a\"}"),
        With("\"tags\":{\"team\":\"b\"},\"latency_ms\":12.5"),
        "{\"\\u0069d\":\"x\",\"started_at\":\"2026-01-01T00:00:00Z\",\"app\":\"a\",\"endpoint\":\"e\",\"outcome\":\"success\"}",
        With(string.Empty),
    ];

    [Fact]
    public void ParseArray_FastAndFallbackRecords_GivesWhatTheSerializerGivesWithDefaultTags()
    {
        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes("[" + string.Join(',', s_mixed) + "]"), 100);

        Assert.Null(parsed.Error);
        AssertAllSame(parsed.Records);
    }

    [Fact]
    public void ParseNdjson_FastAndFallbackRecords_GivesWhatTheSerializerGivesWithDefaultTags()
    {
        var parsed = RecordParser.ParseNdjson(Encoding.UTF8.GetBytes(string.Join('\n', s_mixed) + "\n"), 100);

        Assert.Null(parsed.Error);
        AssertAllSame(parsed.Records);
    }

    [Fact]
    public void ParseArray_FallbackRecordWithoutTags_GetsTheSharedEmptyTags()
    {
        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes("[" + Replacing("outcome", "\"Blocked\"") + "]"), 10);

        Assert.Equal(LlmCallOutcome.Blocked, Assert.Single(parsed.Records).Outcome);
        Assert.Same(LlmMeterContext.EmptyTags, parsed.Records[0].Tags);
    }

    [Fact]
    public void ParseArray_BadRecordAfterFastOnes_NamesItsIndexAndFieldAsTheSerializerDoes()
    {
        var good = LlmMeterJson.Serialize(Full());
        var body = $"[{good},{good},{Replacing("outcome", "\"exploded\"")}]";

        var error = RecordParser.ParseArray(Encoding.UTF8.GetBytes(body), 10).Error;

        Assert.NotNull(error);
        Assert.Equal(2, error.Index);
        Assert.Equal("outcome", error.Field);
        Assert.Contains("wrong type or format", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseNdjson_MissingPropertyAfterFastRecord_NamesIndexLineAndField()
    {
        var body = LlmMeterJson.Serialize(Full()) + "\n\n" + Replacing("app", null) + "\n";

        var error = RecordParser.ParseNdjson(Encoding.UTF8.GetBytes(body), 10).Error;

        Assert.NotNull(error);
        Assert.Equal((1, 3, "app", "is required and missing."), (error.Index, error.Line, error.Field, error.Message));
    }

    [Fact]
    public void ParseNdjson_ContentAfterAFastRecord_IsRefused()
    {
        var body = With(string.Empty) + " {}\n";

        var error = RecordParser.ParseNdjson(Encoding.UTF8.GetBytes(body), 10).Error;

        Assert.NotNull(error);
        Assert.Equal((0, 1), (error.Index, error.Line));
    }

    private static void AssertAllSame(List<LlmCallRecord> records)
    {
        Assert.Equal(s_mixed.Length, records.Count);
        for (var i = 0; i < s_mixed.Length; i++)
        {
            AssertSame(WithDefaultTags(Serializer(s_mixed[i]).Record), records[i]);
        }
    }
}
