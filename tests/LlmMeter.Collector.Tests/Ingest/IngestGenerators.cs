using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>What the collector must do with one generated element of a request.</summary>
internal enum Expect
{
    /// <summary>A valid record: stored, or a duplicate when its id is already stored.</summary>
    Valid,

    /// <summary>Refused alone, naming <see cref="GeneratedItem.Field"/> and the record's id.</summary>
    Rejected,

    /// <summary>Not well-formed JSON: the whole array body is refused (400); an NDJSON line alone is refused.</summary>
    Broken,
}

/// <summary>One element of a generated request: its bytes and what it must lead to.</summary>
internal sealed record GeneratedItem(string Kind, byte[] Json, Expect Expect, LlmCallRecord? Record, string? Field, string? Id)
{
    public override string ToString() => $"{Kind}: {Encoding.UTF8.GetString(Json)[..Math.Min(Json.Length, 300)]}";
}

/// <summary>A generated request: an array or NDJSON body of items, possibly truncated or not JSON at all.</summary>
internal sealed record GeneratedRequest(bool Ndjson, GeneratedItem[] Items, double? CutAt, bool Garbage)
{
    public byte[] Body()
    {
        if (Garbage)
        {
            return Ndjson ? [] : Encoding.UTF8.GetBytes("{\"not\":\"an array\"}");
        }

        var body = new List<byte>();
        if (!Ndjson)
        {
            body.Add((byte)'[');
        }

        for (var i = 0; i < Items.Length; i++)
        {
            if (i > 0)
            {
                body.AddRange(Ndjson ? "\n"u8.ToArray() : ","u8.ToArray());
            }

            body.AddRange(Items[i].Json);
        }

        if (!Ndjson)
        {
            body.Add((byte)']');
        }

        if (CutAt is not { } cut)
        {
            return [.. body];
        }

        // Arrays: anywhere before the closing bracket. NDJSON: inside the last line, before its last byte.
        var from = Ndjson ? body.Count - Items[^1].Json.Length + 1 : 1;
        var at = from + (int)(cut * (body.Count - 1 - from));
        return [.. body.Take(Math.Max(from, at))];
    }

    /// <summary>True when the whole body must be refused with a 400.</summary>
    public bool WholeBodyRefused =>
        !Ndjson && (Garbage || CutAt is not null || Items.Any(i => i.Expect == Expect.Broken));

    public override string ToString() =>
        $"{(Ndjson ? "ndjson" : "array")}{(CutAt is null ? string.Empty : " truncated")}{(Garbage ? " garbage" : string.Empty)}: " + string.Join(" | ", Items.Select(i => i.ToString()));
}

/// <summary>Generators of records, spoiled records and requests mixing them.</summary>
internal static class IngestGenerators
{
    public static readonly DateTimeOffset FirstDay = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string?[] s_models = [null, "openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "google/gemma:free", "模型/😀-x", "", "a\"quote\\slash/", new string('m', 256)];
    private static readonly string?[] s_providers = [null, "OpenAI", "Anthropic", "Äöü provider", new string('p', 128)];
    private static readonly string[] s_apps = ["search-api", "batch", "模型-app", new string('a', 200)];
    private static readonly string[] s_endpoints = [LlmEndpoints.ChatCompletions, "embeddings", new string('e', 100)];
    private static readonly string?[] s_finishReasons = [null, "stop", "length", "error", new string('f', 64)];

    private static readonly IReadOnlyDictionary<string, string>[] s_tags =
    [
        LlmMeterContext.EmptyTags,
        new Dictionary<string, string> { ["team"] = "search" },
        new Dictionary<string, string> { ["team"] = "ünï", ["feature"] = "summarize" },
        Enumerable.Range(0, 64).ToDictionary(i => "k" + i.ToString(CultureInfo.InvariantCulture), _ => "v"),
        new Dictionary<string, string> { [new string('k', 128)] = new string('v', 500) },
    ];

    private static readonly IReadOnlyList<string>?[] s_lists =
    [
        null, [], ["openai/gpt-4o", "anthropic/claude-3.5-sonnet"], [.. Enumerable.Range(0, 64).Select(i => i.ToString(CultureInfo.InvariantCulture).PadRight(128, 'x'))],
    ];

    private static readonly IReadOnlyList<string>?[] s_warnings =
        [null, ["usage_missing"], [.. Enumerable.Range(0, 32).Select(i => i.ToString(CultureInfo.InvariantCulture).PadRight(128, 'w'))]];

    private static readonly LlmRoutingInfo?[] s_routing =
        [null, new("cheap-nights", "downgrade", "openai/gpt-4o"), new(new string('r', 128), new string('a', 32), new string('m', 256)), new("block-all", "block", null)];

    private static readonly int?[] s_statusCodes = [null, 100, 200, 429, 599];

    private static readonly Gen<long?> s_tokens = Gen.Frequency(
        (1, Gen.Const((long?)null)),
        (6, Gen.Long[0, 200_000].Select(v => (long?)v)),
        (1, Gen.Const<long?>(1_000_000_000)));

    // Exact to 1e-10 USD (the store's unit), mostly small, sometimes the largest allowed.
    private static readonly Gen<decimal?> s_cost = Gen.Frequency(
        (1, Gen.Const((decimal?)null)),
        (8, Gen.Long[0, 20_000_000_000].Select(units => (decimal?)(units / 10_000_000_000m))),
        (1, Gen.Const<decimal?>(10_000m)));

    private static readonly Gen<double?> s_duration = Gen.Frequency(
        (1, Gen.Const((double?)null)),
        (6, Gen.Double[0, 120_000].Select(v => (double?)Math.Round(v, 3))),
        (1, Gen.Const<double?>(604_800_000)));

    private static readonly Gen<LlmCallRecord> s_head = Gen.Select(
        Gen.Int[0, 39_999], Gen.Int[0, (27 * 1440) - 1], Gen.Int[0, 999], Gen.Int[0, s_apps.Length - 1],
        Gen.Int[0, s_tags.Length - 1], Gen.Int[0, s_endpoints.Length - 1], Gen.Int[0, s_models.Length - 1], Gen.Int[0, s_models.Length - 1],
        Gen.Int[0, s_providers.Length - 1], Gen.Int[0, s_lists.Length - 1], Gen.Int[0, 5], Gen.Int[0, s_statusCodes.Length - 1],
        s_duration, Gen.Int[0, s_finishReasons.Length - 1], Gen.Bool,
        (id, minute, ms, app, tags, endpoint, requested, served, provider, list, outcome, status, latency, finish, stream) => new LlmCallRecord
        {
            Id = "gen-p-" + id.ToString(CultureInfo.InvariantCulture),
            StartedAt = FirstDay.AddMinutes(minute).AddMilliseconds(ms),
            App = s_apps[app],
            Tags = s_tags[tags],
            Endpoint = s_endpoints[endpoint],
            RequestedModel = s_models[requested],
            ServedModel = s_models[served],
            Provider = s_providers[provider],
            FallbackModels = s_lists[list],
            RequestedProviders = s_lists[(list + 1) % s_lists.Length],
            Outcome = (LlmCallOutcome)outcome,
            StatusCode = s_statusCodes[status],
            LatencyMs = latency ?? 0,
            FinishReason = s_finishReasons[finish],
            Stream = stream,
        });

    /// <summary>Valid records spanning every field's range, limits included.</summary>
    public static readonly Gen<LlmCallRecord> Record = Gen.Select(
        s_head, s_tokens, s_tokens, s_tokens, s_tokens, s_tokens, s_cost, Gen.Int[0, 3],
        Gen.Int[0, s_warnings.Length - 1], Gen.Int[0, s_routing.Length - 1], Gen.Int[0, 1000], s_duration, s_duration, Gen.Bool,
        (head, input, cached, written, output, reasoning, cost, source, warnings, routing, attempts, headers, ttft, fallback) => head with
        {
            InputTokens = input,
            CachedInputTokens = cached,
            CacheWriteTokens = written,
            OutputTokens = output,
            ReasoningTokens = reasoning,
            CostUsd = cost,
            CostSource = (LlmCostSource)source,
            Warnings = s_warnings[warnings],
            Routing = s_routing[routing],
            Attempts = attempts % 3 == 0 ? null : attempts,
            FallbackIndex = attempts % 2 == 0 ? null : 1000 - attempts,
            FallbackUsed = fallback,
            HeadersMs = headers,
            TtftMs = ttft,
        });

    /// <summary>Ways to write a valid record: plain, or with extras that must not change it.</summary>
    private static readonly (string Kind, Func<JsonObject, string> Write)[] s_validForms =
    [
        ("plain", o => o.ToJsonString()),
        ("plain", o => o.ToJsonString()),
        ("unknown nested", o => Prepend(o, "\"x_extra\":{\"a\":[1,2.5e3,{\"b\":\"\\ud83d\\ude00\"}],\"c\":null}")),
        ("unknown deep", o => Prepend(o, "\"x_deep\":" + new string('[', 40) + new string(']', 40))),
        ("unknown lone surrogate", o => Prepend(o, "\"x_s\":\"\\ud800\"")),
        ("unknown big", o => Prepend(o, "\"x_big\":\"" + new string('z', 20_000) + "\"")),
        ("duplicate keys, last wins", o => Prepend(o, (o.ContainsKey("cost_usd") ? "\"cost_usd\":-5," : string.Empty)
            + (o.ContainsKey("served_model") ? "\"served_model\":\"" + new string('m', 300) + "\"," : string.Empty) + "\"latency_ms\":-1")),
        ("escaped names", o => o.ToJsonString().Replace("\"app\":", "\"\\u0061pp\":", StringComparison.Ordinal)),
    ];

    public static readonly Gen<GeneratedItem> Valid = Gen.Select(Record, Gen.Int[0, s_validForms.Length - 1], (record, form) =>
    {
        var (kind, write) = s_validForms[form];
        return new GeneratedItem(kind, Encoding.UTF8.GetBytes(write(Node(record))), Expect.Valid, record, null, record.Id);
    });

    /// <summary>Spoilers: the field they break (null: not a record) and how.</summary>
    private static readonly (string Kind, string? Field, Expect Expect, Func<JsonObject, int, byte[]> Write)[] s_spoilers =
    [
        ("wrong type", "latency_ms", Expect.Rejected, (o, _) => Set(o, "latency_ms", "\"slow\"")),
        ("long max tokens", "output_tokens", Expect.Rejected, (o, _) => Set(o, "output_tokens", "9223372036854775807")),
        ("tokens beyond long", "input_tokens", Expect.Rejected, (o, _) => Set(o, "input_tokens", "1e30")),
        ("tokens over limit", "reasoning_tokens", Expect.Rejected, (o, n) => Set(o, "reasoning_tokens", (1_000_000_000L + n).ToString(CultureInfo.InvariantCulture))),
        ("negative cost", "cost_usd", Expect.Rejected, (o, n) => Set(o, "cost_usd", "-0." + n.ToString(CultureInfo.InvariantCulture))),
        ("huge cost", "cost_usd", Expect.Rejected, (o, _) => Set(o, "cost_usd", "1000000")),
        ("negative latency", "latency_ms", Expect.Rejected, (o, n) => Set(o, "latency_ms", "-" + n.ToString(CultureInfo.InvariantCulture))),
        ("oversized model", "served_model", Expect.Rejected, (o, n) => Set(o, "served_model", "\"" + new string('m', n) + "\"")),
        ("oversized provider", "provider", Expect.Rejected, (o, n) => Set(o, "provider", "\"" + new string('p', n) + "\"")),
        ("oversized rule", "routing", Expect.Rejected, (o, n) => Set(o, "routing", "{\"rule_id\":\"" + new string('r', n) + "\",\"action\":\"block\"}")),
        ("null app", "app", Expect.Rejected, (o, _) => Set(o, "app", "null")),
        ("missing endpoint", "endpoint", Expect.Rejected, (o, _) => Remove(o, "endpoint")),
        ("lone surrogate", "provider", Expect.Rejected, (o, _) => Set(o, "provider", "\"ok\\udc00\"")),
        ("invalid UTF-8", "finish_reason", Expect.Rejected, (o, _) => InvalidUtf8(o, "finish_reason")),
        ("control character", "requested_model", Expect.Rejected, (o, _) => Set(o, "requested_model", "\"a\\u0001b\"")),
        ("year 1", "started_at", Expect.Rejected, (o, _) => Set(o, "started_at", "\"0001-01-01T00:00:00Z\"")),
        ("too many tags", "tags", Expect.Rejected, (o, _) => Set(o, "tags", "{" + string.Join(',', Enumerable.Range(0, 65).Select(i => $"\"k{i}\":\"v\"")) + "}")),
        ("status code", "status_code", Expect.Rejected, (o, n) => Set(o, "status_code", (600 + n).ToString(CultureInfo.InvariantCulture))),
        ("null in list", "fallback_models", Expect.Rejected, (o, _) => Set(o, "fallback_models", "[\"a\",null]")),
        ("not an object", null, Expect.Rejected, (_, n) => Encoding.UTF8.GetBytes((n % 5) switch { 0 => "42", 1 => "\"x\"", 2 => "[1,{}]", 3 => "null", _ => "true" })),
        ("NaN", null, Expect.Broken, (o, _) => Set(o, "latency_ms", "NaN")),
        ("Infinity", null, Expect.Broken, (o, _) => Set(o, "ttft_ms", "-Infinity")),
        ("too deep", null, Expect.Broken, (o, n) => Encoding.UTF8.GetBytes(Prepend(o, "\"x\":" + new string('[', 65 + (n % 100)) + new string(']', 65 + (n % 100))))),
        ("raw control byte", null, Expect.Broken, (o, _) => Set(o, "provider", "\"a\u0001b\"")),
    ];

    public static readonly Gen<GeneratedItem> Bad = Gen.Select(Record, Gen.Int[0, s_spoilers.Length - 1], Gen.Int[1, 3000], (record, spoiler, n) =>
    {
        var (kind, field, expect, write) = s_spoilers[spoiler];
        var json = write(Node(record), field is "served_model" or "provider" or "routing" && kind.StartsWith("oversized", StringComparison.Ordinal) ? n + 256 : n);
        return new GeneratedItem(kind, json, expect, null, field, field is null ? null : record.Id);
    });

    public static readonly Gen<GeneratedRequest> Request = Gen.Select(
        Gen.Frequency((3, Valid), (2, Bad)).Array[0, 6], Gen.Bool, Gen.Int[0, 99], Gen.Double[0, 1],
        (items, ndjson, shape, cut) => new GeneratedRequest(
            ndjson,
            items,
            shape < 8 && items.Length > 0 ? cut : null,
            shape >= 98));

    private static JsonObject Node(LlmCallRecord record) => JsonNode.Parse(LlmMeterJson.Serialize(record))!.AsObject();

    private static string Prepend(JsonObject o, string members) => "{" + members + "," + o.ToJsonString()[1..];

    private static byte[] Set(JsonObject o, string name, string rawValue)
    {
        o[name] = "__placeholder__";
        return Encoding.UTF8.GetBytes(o.ToJsonString().Replace("\"__placeholder__\"", rawValue, StringComparison.Ordinal));
    }

    private static byte[] Remove(JsonObject o, string name)
    {
        o.Remove(name);
        return Encoding.UTF8.GetBytes(o.ToJsonString());
    }

    private static byte[] InvalidUtf8(JsonObject o, string name)
    {
        o[name] = "ab~cd";
        var bytes = Encoding.UTF8.GetBytes(o.ToJsonString());
        bytes[Array.IndexOf(bytes, (byte)'~')] = 0xFF;
        return bytes;
    }
}
