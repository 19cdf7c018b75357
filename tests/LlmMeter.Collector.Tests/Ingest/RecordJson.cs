using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Ingest;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>Record JSON for the reader tests, and both ways of reading it.</summary>
internal static class RecordJson
{
    /// <summary>The required properties, in the order the serializer writes them.</summary>
    public static readonly (string Name, string Value)[] Required =
    [
        ("id", "\"gen-1\""),
        ("started_at", "\"2026-11-27T10:15:00.123Z\""),
        ("app", "\"search-api\""),
        ("endpoint", "\"chat.completions\""),
        ("outcome", "\"success\""),
    ];

    /// <summary>The required properties plus <paramref name="extra"/> (raw JSON members, comma-separated).</summary>
    public static string With(string extra) =>
        "{" + string.Join(',', Required.Select(p => $"\"{p.Name}\":{p.Value}")) + (extra.Length > 0 ? "," + extra : string.Empty) + "}";

    /// <summary>The required properties but <paramref name="name"/>, replaced by <paramref name="value"/> or left out when null.</summary>
    public static string Replacing(string name, string? value) =>
        "{" + string.Join(',', Required
            .Select(p => p.Name == name ? value is null ? null : $"\"{p.Name}\":{value}" : $"\"{p.Name}\":{p.Value}")
            .OfType<string>()) + "}";

    /// <summary>A record with every property set, as the exporter sends it.</summary>
    public static LlmCallRecord Full() => new()
    {
        Id = "gen-1732700100-AbCdEf",
        StartedAt = new DateTimeOffset(2026, 11, 27, 10, 15, 0, 123, TimeSpan.Zero),
        App = "search-api",
        Tags = new Dictionary<string, string> { ["team"] = "search", ["feature"] = "summarize", ["env"] = "prod" },
        Endpoint = LlmEndpoints.ChatCompletions,
        RequestedModel = "openai/gpt-4o",
        FallbackModels = ["openai/gpt-4o", "anthropic/claude-3.5-sonnet"],
        ServedModel = "anthropic/claude-3.5-sonnet",
        FallbackUsed = true,
        FallbackIndex = 1,
        Attempts = 2,
        RequestedProviders = ["OpenAI", "Azure"],
        Provider = "Anthropic",
        Stream = true,
        StatusCode = 200,
        Outcome = LlmCallOutcome.StreamError,
        ErrorType = LlmErrorType.UpstreamUnavailable,
        FinishReason = "error",
        HeadersMs = 120.5,
        TtftMs = 180.25,
        LatencyMs = 950.75,
        InputTokens = 1200,
        CachedInputTokens = 200,
        CacheWriteTokens = 100,
        OutputTokens = 300,
        ReasoningTokens = 50,
        CostUsd = 0.0012345m,
        CostSource = LlmCostSource.Estimated,
        Routing = new LlmRoutingInfo("cheap-nights", "downgrade", "openai/gpt-4o"),
        Warnings = ["usage_missing", "request_body_not_json"],
    };

    /// <summary>What the serializer makes of the object at the start of <paramref name="json"/>, and where it leaves the reader.</summary>
    public static (LlmCallRecord Record, long Consumed) Serializer(string json)
    {
        var reader = ReaderAtObject(json);
        var record = JsonSerializer.Deserialize(ref reader, LlmMeterJsonContext.Default.LlmCallRecord)!;
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        return (record, reader.BytesConsumed);
    }

    /// <summary>What the fast reader makes of it: null when it gave up.</summary>
    public static (LlmCallRecord? Record, long Consumed, JsonTokenType Token) Fast(string json)
    {
        var reader = ReaderAtObject(json);
        FastRecordReader.TryRead(ref reader, out var record);
        return (record, reader.BytesConsumed, reader.TokenType);
    }

    /// <summary>A reader on the first object of <paramref name="json"/> (with the parser's reader options).</summary>
    public static Utf8JsonReader ReaderAtObject(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read() && reader.TokenType != JsonTokenType.StartObject)
        {
        }

        return reader;
    }

    /// <summary>
    /// Asserts two records are the same: every property as the wire format writes it, the exact instant and offset
    /// of <c>started_at</c> (the wire format writes milliseconds), and the collections' types.
    /// </summary>
    public static void AssertSame(LlmCallRecord expected, LlmCallRecord actual)
    {
        Assert.Equal(LlmMeterJson.Serialize(expected), LlmMeterJson.Serialize(actual));
        Assert.Equal(expected.StartedAt.UtcTicks, actual.StartedAt.UtcTicks);
        Assert.Equal(expected.StartedAt.Offset, actual.StartedAt.Offset);
        Assert.Equal(expected.Tags.GetType(), actual.Tags.GetType());
        Assert.Equal(expected.FallbackModels?.GetType(), actual.FallbackModels?.GetType());
        Assert.Equal(expected.RequestedProviders?.GetType(), actual.RequestedProviders?.GetType());
        Assert.Equal(expected.Warnings?.GetType(), actual.Warnings?.GetType());
        Assert.Equal(expected.CostUsd?.Scale, actual.CostUsd?.Scale);
    }

    /// <summary>The serializer's null tags become the record's default, as ingest does (and the fast reader).</summary>
    public static LlmCallRecord WithDefaultTags(LlmCallRecord record) =>
        record.Tags is null ? record with { Tags = LlmMeterContext.EmptyTags } : record;
}
