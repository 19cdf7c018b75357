using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>
/// Every record limit (as documented in docs/collector.md) as a pair of JSON values for one property: at the limit
/// (accepted) and one beyond (refused).
/// </summary>
internal static class RecordLimitCases
{
    /// <summary>Property, JSON value at the limit, JSON value one beyond it.</summary>
    public static TheoryData<string, string, string> All
    {
        get
        {
            var data = new TheoryData<string, string, string>
            {
                { "id", Str(256), Str(256 + 1) },
                { "app", Str(200), Str(200 + 1) },
                { "endpoint", Str(100), Str(100 + 1) },
                { "requested_model", Str(256), Str(256 + 1) },
                { "served_model", Str(256), Str(256 + 1) },
                { "served_model", "\"openai/gpt-4o\"", "\"openai/gpt\\u0007-4o\"" },
                { "provider", Str(128), Str(128 + 1) },
                { "provider", "\"OpenAI\"", "\"Open\\u0085AI\"" },
                { "finish_reason", Str(64), Str(64 + 1) },
                { "fallback_models", List(64, 8), List(64 + 1, 8) },
                { "fallback_models", List(1, 256), List(1, 256 + 1) },
                { "requested_providers", List(64, 8), List(64 + 1, 8) },
                { "requested_providers", List(1, 128), List(1, 128 + 1) },
                { "warnings", List(32, 8), List(32 + 1, 8) },
                { "warnings", List(1, 128), List(1, 128 + 1) },
                { "routing", Routing(128, 9, 5), Routing(128 + 1, 9, 5) },
                { "routing", Routing(5, 32, 5), Routing(5, 32 + 1, 5) },
                { "routing", Routing(5, 9, 256), Routing(5, 9, 256 + 1) },
                { "tags", Tags(64, 4, 4), Tags(64 + 1, 4, 4) },
                { "tags", Tags(1, 128, 4), Tags(1, 128 + 1, 4) },
                { "tags", Tags(1, 4, 500), Tags(1, 4, 500 + 1) },
                { "tags", "{\"team\":\"search\"}", "{\"team\":\"sea\\trch\"}" },
                { "cost_usd", "10000", "10000.0000000001" },
                { "cost_usd", "0", "-0.0000000001" },
                { "attempts", "1000", "1001" },
                { "fallback_index", "1000", "1001" },
                { "status_code", "100", "99" },
                { "status_code", "599", "600" },
                { "started_at", "\"2000-01-01T00:00:00.000Z\"", "\"1999-12-31T23:59:59.999Z\"" },
            };
            foreach (var property in new[] { "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens" })
            {
                data.Add(property, "1000000000", "1000000001");
                data.Add(property, "0", "9223372036854775807");
            }

            foreach (var property in new[] { "latency_ms", "headers_ms", "ttft_ms" })
            {
                data.Add(property, "604800000", "604800000.001");
                data.Add(property, "0", "-0.001");
            }

            return data;
        }
    }

    /// <summary><paramref name="record"/> as a JSON object with <paramref name="property"/> set to <paramref name="json"/>.</summary>
    public static JsonObject With(LlmCallRecord record, string property, string json)
    {
        var node = JsonNode.Parse(LlmMeterJson.Serialize(record))!.AsObject();
        node[property] = JsonNode.Parse(json);
        return node;
    }

    private static string Str(int length) => JsonSerializer.Serialize(new string('m', length));

    private static string List(int entries, int length) =>
        "[" + string.Join(',', Enumerable.Range(0, entries).Select(i => JsonSerializer.Serialize(Text(i, length)))) + "]";

    private static string Routing(int ruleId, int action, int original) =>
        $"{{\"rule_id\":{Str(ruleId)},\"action\":{Str(action)},\"original_model\":{Str(original)}}}";

    private static string Tags(int entries, int keyLength, int valueLength) =>
        "{" + string.Join(',', Enumerable.Range(0, entries).Select(i => $"{JsonSerializer.Serialize(Text(i, keyLength))}:{Str(valueLength)}")) + "}";

    // Distinct strings of exactly this length.
    private static string Text(int i, int length)
    {
        var prefix = i.ToString(CultureInfo.InvariantCulture);
        return prefix.Length >= length ? prefix[..length] : prefix + new string('x', length - prefix.Length);
    }
}
