using LlmMeter.Collector.Store;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// Semantic checks on a deserialised record; the first failure refuses the whole request.
/// <list type="bullet">
/// <item><c>id</c>: not empty, at most 256 characters, no control characters.</item>
/// <item><c>app</c>: not empty, at most 200 characters. <c>endpoint</c>: not empty, at most 100 characters.</item>
/// <item><c>tags</c>: at most 64 entries; keys not empty and at most 100 characters, values not null and at most 500 (null <c>tags</c> means none).</item>
/// <item><c>started_at</c>: set (not 0001-01-01) and not more than one day after now (the injected clock).</item>
/// <item><c>latency_ms</c>, <c>headers_ms</c>, <c>ttft_ms</c>: finite and ≥ 0.</item>
/// <item>Token counts (<c>input_tokens</c>, <c>cached_input_tokens</c>, <c>cache_write_tokens</c>, <c>output_tokens</c>, <c>reasoning_tokens</c>), <c>attempts</c>, <c>fallback_index</c> and <c>cost_usd</c>: ≥ 0; <c>cost_usd</c> at most <see cref="StoreLimits.MaxCostUsd"/>.</item>
/// <item><c>status_code</c>: 100 to 599 when present.</item>
/// <item>Lists (<c>fallback_models</c>, <c>requested_providers</c>, <c>warnings</c>) hold no nulls; <c>routing</c> has a <c>rule_id</c> and an <c>action</c>.</item>
/// </list>
/// Enum fields (<c>outcome</c>, <c>error_type</c>, <c>cost_source</c>) only accept their snake_case names, which the deserialiser enforces.
/// </summary>
internal static class RecordValidator
{
    public const int MaxIdLength = 256;
    public const int MaxAppLength = 200;
    public const int MaxEndpointLength = 100;
    public const int MaxTags = 64;
    public const int MaxTagKeyLength = 100;
    public const int MaxTagValueLength = 500;
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

    /// <summary>Null when the record is valid, else the offending field (snake_case) and why.</summary>
    public static (string Field, string Message)? Validate(LlmCallRecord record, DateTimeOffset now)
    {
        // The deserialiser lets JSON null through into non-nullable references: check for it here.
        if (string.IsNullOrEmpty(record.Id) || record.Id.Length > MaxIdLength || record.Id.Any(char.IsControl))
        {
            return ("id", $"must be a non-empty string of at most {MaxIdLength} characters without control characters.");
        }

        if (string.IsNullOrEmpty(record.App) || record.App.Length > MaxAppLength)
        {
            return ("app", $"must be a non-empty string of at most {MaxAppLength} characters.");
        }

        if (string.IsNullOrEmpty(record.Endpoint) || record.Endpoint.Length > MaxEndpointLength)
        {
            return ("endpoint", $"must be a non-empty string of at most {MaxEndpointLength} characters.");
        }

        if (CheckTags(record.Tags) is { } tagError)
        {
            return ("tags", tagError);
        }

        if (record.StartedAt == default)
        {
            return ("started_at", "must be set.");
        }

        if (record.StartedAt > now + MaxClockSkew)
        {
            return ("started_at", $"is more than one day in the future ({record.StartedAt:O} after now {now:O}).");
        }

        return CheckDuration("latency_ms", record.LatencyMs)
            ?? CheckDuration("headers_ms", record.HeadersMs)
            ?? CheckDuration("ttft_ms", record.TtftMs)
            ?? CheckCount("input_tokens", record.InputTokens)
            ?? CheckCount("cached_input_tokens", record.CachedInputTokens)
            ?? CheckCount("cache_write_tokens", record.CacheWriteTokens)
            ?? CheckCount("output_tokens", record.OutputTokens)
            ?? CheckCount("reasoning_tokens", record.ReasoningTokens)
            ?? CheckCount("attempts", record.Attempts)
            ?? CheckCount("fallback_index", record.FallbackIndex)
            ?? (record.CostUsd < 0 ? ("cost_usd", "must be >= 0.") : ((string, string)?)null)
            ?? (record.CostUsd > StoreLimits.MaxCostUsd ? ("cost_usd", $"must be at most {StoreLimits.MaxCostUsd} USD for one call.") : ((string, string)?)null)
            ?? (record.StatusCode is < 100 or > 599 ? ("status_code", "must be between 100 and 599.") : ((string, string)?)null)
            ?? CheckList("fallback_models", record.FallbackModels)
            ?? CheckList("requested_providers", record.RequestedProviders)
            ?? CheckList("warnings", record.Warnings)
            ?? (record.Routing is { } routing && (string.IsNullOrEmpty(routing.RuleId) || string.IsNullOrEmpty(routing.Action))
                ? ("routing", "must have a rule_id and an action.")
                : null);
    }

    private static string? CheckTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return null;
        }

        if (tags.Count > MaxTags)
        {
            return $"must have at most {MaxTags} entries (got {tags.Count}).";
        }

        foreach (var (key, value) in tags)
        {
            if (key.Length is 0 or > MaxTagKeyLength)
            {
                return $"keys must be 1 to {MaxTagKeyLength} characters long.";
            }

            if (value is null || value.Length > MaxTagValueLength)
            {
                return $"the value of '{key}' must be a string of at most {MaxTagValueLength} characters.";
            }
        }

        return null;
    }

    private static (string, string)? CheckDuration(string field, double? value) =>
        value is { } ms && (!double.IsFinite(ms) || ms < 0) ? (field, "must be a finite number >= 0.") : null;

    private static (string, string)? CheckCount(string field, long? value) =>
        value < 0 ? (field, "must be >= 0.") : null;

    private static (string, string)? CheckList(string field, IReadOnlyList<string>? values) =>
        values is not null && values.Any(v => v is null) ? (field, "must not contain null.") : null;
}
