using System.Text.Json;
using LlmMeter.Collector.Ingest;
using static LlmMeter.Collector.Tests.Ingest.RecordJson;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>The fast reader reads what the serializer reads, to the last digit, and gives up on the rest.</summary>
public sealed class FastRecordReaderTests
{
    private static string Snake<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static TheoryData<string> Readable()
    {
        var data = new TheoryData<string>
        {
            // Minimal, and every nullable property null.
            With(string.Empty),
            With("\"tags\":null,\"requested_model\":null,\"fallback_models\":null,\"served_model\":null,\"fallback_index\":null,"
                + "\"attempts\":null,\"requested_providers\":null,\"provider\":null,\"status_code\":null,\"error_type\":null,"
                + "\"finish_reason\":null,\"headers_ms\":null,\"ttft_ms\":null,\"input_tokens\":null,\"cached_input_tokens\":null,"
                + "\"cache_write_tokens\":null,\"output_tokens\":null,\"reasoning_tokens\":null,\"cost_usd\":null,\"routing\":null,\"warnings\":null"),

            // Escapes and unicode in values, tag keys and list items.
            With("\"requested_model\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\",\"provider\":\"Zürich 日本語 😀\","
                + "\"tags\":{\"t\\u00e9am\":\"r\\u00e9seau\",\"日本\":\"語\",\"\":\"\"},\"warnings\":[\"a\\u0000b\",\"\"]"),
            Replacing("id", "\"gen-\\u00e9-\\\"quoted\\\"\""),

            // Numbers at their limits and in every notation the serializer takes.
            With("\"input_tokens\":9223372036854775807,\"output_tokens\":0,\"cached_input_tokens\":-9223372036854775808,"
                + "\"status_code\":2147483647,\"attempts\":-2147483648,\"fallback_index\":0"),
            With("\"cost_usd\":79228162514264337593543950335,\"latency_ms\":1.7976931348623157e308,\"headers_ms\":5e-324,\"ttft_ms\":-0"),
            With("\"cost_usd\":0.0000000000000000000000000001,\"latency_ms\":1E3,\"headers_ms\":12.500,\"ttft_ms\":1e-400"),
            With("\"cost_usd\":1.10000,\"latency_ms\":0.1"),
            With("\"cost_usd\":1e-30"),
            With("\"cost_usd\":-0.0"),

            // Times: offsets are moved to UTC, extra precision is kept.
            Replacing("started_at", "\"2026-01-01T05:00:00+03:00\""),
            Replacing("started_at", "\"2026-01-01T00:00:00.1234567Z\""),
            Replacing("started_at", "\"2026-01-01T00:00:00\""),
            Replacing("started_at", "\"2026-01-01\""),

            // Routing, complete, partial, with nulls and an unknown member.
            With("\"routing\":{\"rule_id\":\"r1\",\"action\":\"block\",\"original_model\":\"openai/gpt-4o\"}"),
            With("\"routing\":{\"action\":\"route_free\",\"extra\":{\"x\":[1,2]},\"rule_id\":\"r2\"}"),
            With("\"routing\":{\"rule_id\":null,\"action\":null,\"original_model\":null}"),
            With("\"routing\":{}"),

            // Empty collections.
            With("\"tags\":{},\"fallback_models\":[],\"requested_providers\":[],\"warnings\":[]"),

            // Unknown properties of every shape are skipped, including near-misses of known names.
            With("\"unknown\":{\"a\":[1,{\"b\":null}],\"c\":\"d\"},\"ID\":5,\"Tags\":[],\"outcome_\":\"x\",\"x\":[[[]]],\"n\":1.5e9,\"t\":true,\"z\":null"),

            // Properties in another order, and pretty-printed.
            "{\"outcome\":\"blocked\",\"warnings\":[\"w\"],\"endpoint\":\"other\",\"app\":\"a\",\"started_at\":\"2026-01-01T00:00:00Z\",\"id\":\"x\"}",
            "{\n  \"id\": \"x\",\n  \"started_at\": \"2026-01-01T00:00:00Z\",\n  \"app\": \"a\",\n  \"endpoint\": \"embeddings\",\n  \"outcome\": \"aborted\",\n  \"tags\": { \"k\": \"v\" }\n}",

            // As the exporter sends them.
            LlmMeterJson.Serialize(Full()),
            LlmMeterJson.Serialize(Full() with { Tags = LlmMeterContext.EmptyTags, Routing = null, Warnings = null, CostUsd = null }),
        };

        foreach (var outcome in Enum.GetValues<LlmCallOutcome>().Where(o => o != LlmCallOutcome.Success))
        {
            data.Add(Replacing("outcome", $"\"{Snake(outcome)}\""));
        }

        foreach (var errorType in Enum.GetValues<LlmErrorType>())
        {
            data.Add(With($"\"error_type\":\"{Snake(errorType)}\""));
        }

        foreach (var costSource in Enum.GetValues<LlmCostSource>())
        {
            data.Add(With($"\"cost_source\":\"{Snake(costSource)}\""));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Readable))]
    public void TryRead_RecordTheSerializerReads_ReturnsTheSameRecordAndLeavesTheReaderWhereItDoes(string json)
    {
        var (expected, expectedConsumed) = Serializer(json);
        var (actual, consumed, token) = Fast(json);

        Assert.NotNull(actual);
        AssertSame(WithDefaultTags(expected), actual);
        Assert.Equal(JsonTokenType.EndObject, token);
        Assert.Equal(expectedConsumed, consumed);
    }

    [Fact]
    public void TryRead_ExporterRecordWithEveryPropertySet_TakesTheFastPathWithEveryValue()
    {
        var record = Full();
        var json = LlmMeterJson.Serialize(record);
        var reader = ReaderAtObject(json);

        Assert.True(FastRecordReader.TryRead(ref reader, out var read));
        AssertSame(Serializer(json).Record, read);
        Assert.Equal(json, LlmMeterJson.Serialize(read));
        Assert.Equal(record.Tags, read.Tags);
        Assert.Equal(record.Routing, read.Routing);
        Assert.Equal(record.Warnings, read.Warnings);
    }

    [Fact]
    public void TryRead_DoubleBeyondItsRange_IsInfinityAsTheSerializerReadsIt()
    {
        // The serializer takes it (the validator refuses it later), and cannot write it back: compared apart.
        var json = With("\"latency_ms\":1e400,\"ttft_ms\":-1e400");

        var expected = Serializer(json).Record;
        var actual = Fast(json).Record!;

        Assert.Equal(double.PositiveInfinity, expected.LatencyMs);
        Assert.Equal((expected.LatencyMs, expected.TtftMs), (actual.LatencyMs, actual.TtftMs));
    }

    [Fact]
    public void TryRead_AbsentOrNullTags_GivesTheSharedEmptyTags()
    {
        Assert.Same(LlmMeterContext.EmptyTags, Fast(With(string.Empty)).Record!.Tags);
        Assert.Same(LlmMeterContext.EmptyTags, Fast(With("\"tags\":null")).Record!.Tags);
    }

    [Fact]
    public void TryRead_TagsAndLists_AreTheSerializersCollectionTypes()
    {
        var record = Fast(LlmMeterJson.Serialize(Full())).Record!;

        Assert.IsType<Dictionary<string, string>>(record.Tags);
        Assert.IsType<List<string>>(record.FallbackModels);
        Assert.IsType<List<string>>(record.RequestedProviders);
        Assert.IsType<List<string>>(record.Warnings);
    }

    [Fact]
    public void Enabled_WireFormatProperties_AreAllKnownToTheFastReader()
    {
        // Goes false when LlmCallRecord gains or renames a property: the fast reader must learn it first.
        Assert.True(FastRecordReader.Enabled);
    }

    public static TheoryData<string> Unusual()
    {
        var data = new TheoryData<string>
        {
            // Enum names the serializer may take but in another spelling, or not at all.
            Replacing("outcome", "\"Success\""),
            Replacing("outcome", "\"HttpError\""),
            Replacing("outcome", "\" success\""),
            Replacing("outcome", "\"success, blocked\""),
            Replacing("outcome", "\"succ\\u0065ss\""),
            Replacing("outcome", "\"exploded\""),
            Replacing("outcome", "1"),
            With("\"error_type\":\"RateLimited\""),
            With("\"cost_source\":\"\""),

            // Types it does not expect.
            With("\"status_code\":\"200\""),
            With("\"latency_ms\":\"1\""),
            With("\"latency_ms\":null"),
            With("\"stream\":1"),
            With("\"fallback_used\":null"),
            With("\"cost_source\":null"),
            With("\"tags\":[]"),
            With("\"tags\":{\"team\":null}"),
            With("\"tags\":{\"team\":5}"),
            With("\"fallback_models\":\"a\""),
            With("\"fallback_models\":[\"a\",null]"),
            With("\"warnings\":[1]"),
            With("\"requested_providers\":{}"),
            With("\"routing\":\"r\""),
            With("\"routing\":{\"rule_id\":1}"),
            With("\"requested_model\":5"),
            Replacing("id", "42"),
            Replacing("started_at", "1700000000"),
            Replacing("started_at", "\"yesterday\""),

            // Duplicates.
            With("\"outcome\":\"blocked\""),
            With("\"cost_usd\":1,\"cost_usd\":2"),
            With("\"tags\":{\"a\":\"1\",\"a\":\"2\"}"),
            With("\"routing\":{\"rule_id\":\"r\",\"rule_id\":\"s\"}"),

            // Required properties missing or null.
            Replacing("id", null),
            Replacing("started_at", null),
            Replacing("app", null),
            Replacing("endpoint", null),
            Replacing("outcome", null),
            Replacing("id", "null"),
            Replacing("app", "null"),
            Replacing("endpoint", "null"),
            Replacing("outcome", "null"),
            Replacing("started_at", "null"),

            // Escaped or metadata-like names.
            "{\"\\u0069d\":\"x\",\"started_at\":\"2026-01-01T00:00:00Z\",\"app\":\"a\",\"endpoint\":\"e\",\"outcome\":\"success\"}",
            With("\"unkn\\u006fwn\":1"),
            With("\"routing\":{\"rule\\u005fid\":\"r\"}"),
            With("\"$id\":\"1\""),
            With("\"$type\":\"x\""),
            With("\"tags\":{\"$id\":\"1\"}"),

            // Numbers out of range or not integers.
            With("\"status_code\":2147483648"),
            With("\"status_code\":200.0"),
            With("\"fallback_index\":1e2"),
            With("\"input_tokens\":9223372036854775808"),
            With("\"cost_usd\":1e30"),

            // Not a complete record.
            "{\"id\":\"x\",\"started_at\":\"2026-01-01T00:00:00Z\"",
            "{\"id\":\"x\",\"app\":",
            "{\"id\":\"x\",}",
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Unusual))]
    public void TryRead_UnusualRecord_GivesUpWithoutMovingTheReader(string json)
    {
        var reader = ReaderAtObject(json);
        var before = reader.BytesConsumed;

        Assert.False(FastRecordReader.TryRead(ref reader, out var record), json);

        Assert.Null(record);
        Assert.Equal(JsonTokenType.StartObject, reader.TokenType);
        Assert.Equal(before, reader.BytesConsumed);
    }

    [Fact]
    public void TryRead_InvalidUtf8InAString_GivesUpWithoutMovingTheReader()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(With("\"provider\":\"ab\""));
        bytes[Array.IndexOf(bytes, (byte)'b', Array.IndexOf(bytes, (byte)'v'))] = 0xFF;
        var reader = new Utf8JsonReader(bytes);
        reader.Read();

        Assert.False(FastRecordReader.TryRead(ref reader, out _));
        Assert.Equal(1, reader.BytesConsumed);
    }

    [Fact]
    public void TryRead_ReaderNotOnAnObject_GivesUp()
    {
        var reader = new Utf8JsonReader("[1]"u8);
        reader.Read();

        Assert.False(FastRecordReader.TryRead(ref reader, out _));
        Assert.Equal(JsonTokenType.StartArray, reader.TokenType);
    }
}
