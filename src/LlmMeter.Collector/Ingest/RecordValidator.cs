using System.Globalization;
using LlmMeter.Record.Internal;
using static LlmMeter.Record.Internal.RecordLimits;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// Semantic checks on a deserialised record, against the bounds in <see cref="RecordLimits"/> (shared with the
/// library, whose records always pass). A failing record is refused alone; the others of its request are stored.
/// <list type="bullet">
/// <item>Label-like strings (<c>id</c>, <c>app</c>, <c>endpoint</c>, tag keys and values, models, providers,
/// <c>finish_reason</c>, <c>routing</c> fields, list entries, warnings): bounded length, no control characters.</item>
/// <item><c>started_at</c>: from <see cref="RecordLimits.MinStartedAt"/> to one day after now (the injected clock).</item>
/// <item>Durations finite and 0 to 7 days; token counts 0 to a billion; <c>cost_usd</c> 0 to 10,000;
/// <c>attempts</c>, <c>fallback_index</c> 0 to 1,000; <c>status_code</c> 100 to 599.</item>
/// </list>
/// Enum fields (<c>outcome</c>, <c>error_type</c>, <c>cost_source</c>) only accept their snake_case names, which the deserialiser enforces.
/// </summary>
internal static class RecordValidator
{
    /// <summary>Null when the record is valid, else the offending field (snake_case) and why.</summary>
    public static (string Field, string Message)? Validate(LlmCallRecord record, DateTimeOffset now)
    {
        // The deserialiser lets JSON null through into non-nullable references: check for it here.
        return Required("id", record.Id, MaxIdLength)
            ?? Required("app", record.App, MaxAppLength)
            ?? Required("endpoint", record.Endpoint, MaxEndpointLength)
            ?? CheckTags(record.Tags)
            ?? CheckStartedAt(record.StartedAt, now)
            ?? Optional("requested_model", record.RequestedModel, MaxModelLength)
            ?? Optional("served_model", record.ServedModel, MaxModelLength)
            ?? Optional("provider", record.Provider, MaxProviderLength)
            ?? Optional("finish_reason", record.FinishReason, MaxFinishReasonLength)
            ?? CheckList("fallback_models", record.FallbackModels, MaxListEntries, MaxModelLength)
            ?? CheckList("requested_providers", record.RequestedProviders, MaxListEntries, MaxProviderLength)
            ?? CheckList("warnings", record.Warnings, MaxWarnings, MaxWarningLength)
            ?? CheckRouting(record.Routing)
            ?? CheckDuration("latency_ms", record.LatencyMs)
            ?? CheckDuration("headers_ms", record.HeadersMs)
            ?? CheckDuration("ttft_ms", record.TtftMs)
            ?? CheckCount("input_tokens", record.InputTokens, MaxTokens)
            ?? CheckCount("cached_input_tokens", record.CachedInputTokens, MaxTokens)
            ?? CheckCount("cache_write_tokens", record.CacheWriteTokens, MaxTokens)
            ?? CheckCount("output_tokens", record.OutputTokens, MaxTokens)
            ?? CheckCount("reasoning_tokens", record.ReasoningTokens, MaxTokens)
            ?? CheckCount("attempts", record.Attempts, MaxAttempts)
            ?? CheckCount("fallback_index", record.FallbackIndex, MaxAttempts)
            ?? CheckCost(record.CostUsd)
            ?? CheckStatusCode(record.StatusCode);
    }

    private static (string, string)? Required(string field, string? value, int maxLength) =>
        string.IsNullOrEmpty(value)
            ? (field, Invariant($"must be a non-empty string of at most {maxLength} characters."))
            : Optional(field, value, maxLength);

    private static (string, string)? Optional(string field, string? value, int maxLength) =>
        value is null ? null
        : value.Length > maxLength ? (field, Invariant($"must be at most {maxLength} characters."))
        : HasControlCharacters(value) ? (field, "must not contain control characters.")
        : null;

    private static (string, string)? CheckStartedAt(DateTimeOffset startedAt, DateTimeOffset now)
    {
        if (startedAt == default)
        {
            return ("started_at", "must be set.");
        }

        if (startedAt < MinStartedAt)
        {
            return ("started_at", Invariant($"must not be before {MinStartedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}."));
        }

        return startedAt > now + MaxClockSkew
            ? ("started_at", Invariant($"is more than one day in the future ({startedAt:O} after now {now:O})."))
            : null;
    }

    private static (string, string)? CheckTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return null;
        }

        if (tags.Count > MaxTags)
        {
            return ("tags", Invariant($"must have at most {MaxTags} entries (got {tags.Count})."));
        }

        foreach (var (key, value) in tags)
        {
            if (key.Length is 0 or > MaxTagKeyLength || HasControlCharacters(key))
            {
                return ("tags", Invariant($"keys must be 1 to {MaxTagKeyLength} characters long, without control characters."));
            }

            if (value is null || value.Length > MaxTagValueLength || HasControlCharacters(value))
            {
                return ("tags", Invariant($"the value of '{key}' must be a string of at most {MaxTagValueLength} characters without control characters."));
            }
        }

        return null;
    }

    private static (string, string)? CheckList(string field, IReadOnlyList<string>? values, int maxEntries, int maxLength)
    {
        if (values is null)
        {
            return null;
        }

        if (values.Count > maxEntries)
        {
            return (field, Invariant($"must have at most {maxEntries} entries (got {values.Count})."));
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } value)
            {
                return (field, "must not contain null.");
            }

            if (!Fits(value, maxLength))
            {
                return (field, Invariant($"entries must be at most {maxLength} characters without control characters (entry {i})."));
            }
        }

        return null;
    }

    private static (string, string)? CheckRouting(LlmRoutingInfo? routing)
    {
        if (routing is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(routing.RuleId) || string.IsNullOrEmpty(routing.Action))
        {
            return ("routing", "must have a rule_id and an action.");
        }

        return Optional("routing", routing.RuleId, MaxRuleIdLength) is not null
            ? ("routing", Invariant($"rule_id must be at most {MaxRuleIdLength} characters without control characters."))
            : Optional("routing", routing.Action, MaxActionLength) is not null
            ? ("routing", Invariant($"action must be at most {MaxActionLength} characters without control characters."))
            : Optional("routing", routing.OriginalModel, MaxModelLength) is not null
            ? ("routing", Invariant($"original_model must be at most {MaxModelLength} characters without control characters."))
            : null;
    }

    private static (string, string)? CheckDuration(string field, double? value) =>
        value is { } ms && !(ms is >= 0 and <= MaxDurationMs)
            ? (field, Invariant($"must be a finite number of milliseconds from 0 to {MaxDurationMs} (7 days)."))
            : null;

    private static (string, string)? CheckCount(string field, long? value, long max) =>
        value is < 0 || value > max ? (field, Invariant($"must be between 0 and {max}.")) : null;

    private static (string, string)? CheckCost(decimal? value) =>
        value is < 0m or > MaxCostUsd ? ("cost_usd", Invariant($"must be between 0 and {MaxCostUsd} USD for one call.")) : null;

    private static (string, string)? CheckStatusCode(int? value) =>
        value is < MinStatusCode or > MaxStatusCode ? ("status_code", Invariant($"must be between {MinStatusCode} and {MaxStatusCode}.")) : null;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
