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
    public void ParseArray_BadRecordAfterFastOnes_RefusesItAloneNamingIndexIdAndFieldAsTheSerializerDoes()
    {
        var good = LlmMeterJson.Serialize(Full());
        var body = $"[{good},{Replacing("outcome", "\"exploded\"")},{good}]";

        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes(body), 10);

        Assert.Null(parsed.Error);
        Assert.Equal([0, 2], parsed.Indexes);
        Assert.Equal(2, parsed.WireJson.Count);
        var rejected = Assert.Single(parsed.Rejected);
        Assert.Equal((1, "gen-1", "outcome"), (rejected.Index, rejected.Id, rejected.Field));
        Assert.Contains("wrong type or format", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseArray_ElementsThatAreNotObjects_RefusedWithoutFieldAndTheRecordBetweenKept()
    {
        var body = $"[1,{With(string.Empty)},\"x\",null,[{{\"id\":\"gen-2\"}}]]";

        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes(body), 10);

        Assert.Null(parsed.Error);
        Assert.Equal([1], parsed.Indexes);
        Assert.Equal([0, 2, 3, 4], parsed.Rejected.Select(r => r.Index));
        Assert.All(parsed.Rejected, r => Assert.Equal((null, null), (r.Id, r.Field)));
        Assert.Contains("JSON object", parsed.Rejected[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"served_model\":\"\\ud800\"", "served_model")]
    [InlineData("\"provider\":\"a\\udc00b\"", "provider")]
    [InlineData("\"tags\":{\"team\":\"\\ud83d\"}", "tags")]
    public void ParseArray_LoneSurrogateEscape_RefusesTheRecordNamingItsField(string member, string field)
    {
        var body = $"[{With(member)},{With(string.Empty)}]";

        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes(body), 10);

        Assert.Null(parsed.Error);
        Assert.Equal([1], parsed.Indexes);
        var rejected = Assert.Single(parsed.Rejected);
        Assert.Equal((0, "gen-1", field), (rejected.Index, rejected.Id, rejected.Field));
    }

    [Fact]
    public void ParseArray_InvalidUtf8InAKnownString_RefusesTheRecordAndKeepsTheNext()
    {
        var bad = Encoding.UTF8.GetBytes(With("\"served_model\":\"ab\"")).ToList();
        var at = bad.LastIndexOf((byte)'b');
        bad[at] = 0xFF;
        byte[] body = [(byte)'[', .. bad, (byte)',', .. Encoding.UTF8.GetBytes(With(string.Empty)), (byte)']'];

        var parsed = RecordParser.ParseArray(body, 10);

        Assert.Null(parsed.Error);
        Assert.Equal([1], parsed.Indexes);
        Assert.Equal(0, Assert.Single(parsed.Rejected).Index);
        Assert.Equal("gen-1", parsed.Rejected[0].Id);
    }

    [Theory]
    [InlineData("{\"id\":\"gen-x\", \"cost_usd\": 0.1.2}")]
    [InlineData("{\"id\":\"gen-x\", \"latency_ms\": NaN}")]
    [InlineData("{\"id\":\"gen-x\"")]
    public void ParseArray_BrokenRecord_RefusesTheWholeBodyNamingItsIndex(string broken)
    {
        var body = $"[{With(string.Empty)},{broken}]";

        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes(body), 10);

        Assert.NotNull(parsed.Error);
        Assert.Equal(1, parsed.Error.Index);
    }

    [Fact]
    public void ParseNdjson_MissingPropertyAfterFastRecord_RefusesThatLineNamingIndexAndField()
    {
        var body = LlmMeterJson.Serialize(Full()) + "\n\n" + Replacing("app", null) + "\n";

        var parsed = RecordParser.ParseNdjson(Encoding.UTF8.GetBytes(body), 10);

        Assert.Null(parsed.Error);
        Assert.Equal([0], parsed.Indexes);
        var rejected = Assert.Single(parsed.Rejected);
        Assert.Equal((1, "gen-1", "app", "is required and missing."), (rejected.Index, rejected.Id, rejected.Field, rejected.Message));
    }

    [Fact]
    public void ParseNdjson_BrokenLinesAndContentAfterARecord_EachRefusedAloneAndTheRestKept()
    {
        var lines = new[]
        {
            With(string.Empty) + " {}",
            "{\"id\":\"gen-broken\", \"cost_usd\": 0.1.2}",
            "not json",
            With(string.Empty),
            "{\"id\":\"gen-cut\"",
            "[1]",
        };

        var parsed = RecordParser.ParseNdjson(Encoding.UTF8.GetBytes(string.Join("\r\n", lines)), 10);

        Assert.Null(parsed.Error);
        Assert.Equal([3], parsed.Indexes);
        Assert.Equal([0, 1, 2, 4, 5], parsed.Rejected.Select(r => r.Index));
        Assert.Equal(["gen-1", "gen-broken", null, "gen-cut", null], parsed.Rejected.Select(r => r.Id));
        Assert.Equal("Unexpected content after the record.", parsed.Rejected[0].Message);
    }

    [Fact]
    public void RejectInvalid_InvalidRecordsBetweenValidOnes_KeepsTheValidInOrderAndSortsRejections()
    {
        var good = LlmMeterJson.Serialize(Full());
        var tooLong = With("\"provider\":\"" + new string('p', 129) + "\"");
        var body = $"[{good},{tooLong},{Replacing("outcome", "7")},{Replacing("id", "\"gen-2\"")},{With("\"output_tokens\":-1")}]";
        var parsed = RecordParser.ParseArray(Encoding.UTF8.GetBytes(body), 10);

        parsed.RejectInvalid(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal([0, 3], parsed.Indexes);
        Assert.Equal(["gen-1732700100-AbCdEf", "gen-2"], parsed.Records.Select(r => r.Id));
        Assert.Equal(2, parsed.WireJson.Count);
        Assert.Contains("gen-2", parsed.WireJson[1], StringComparison.Ordinal);
        Assert.Equal([(1, "provider"), (2, "outcome"), (4, "output_tokens")], parsed.Rejected.Select(r => (r.Index, r.Field!)));
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
