using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using static LlmMeter.Collector.Ingest.FastJson;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// Reads the usual record straight off a <see cref="Utf8JsonReader"/>, about four times cheaper than the
/// metadata-driven serializer. It yields the record the serializer would, with one exception: absent or null
/// <c>tags</c> become <see cref="LlmMeterContext.EmptyTags"/> (the serializer gives null, which ingest replaces
/// with the same). On anything unusual (an unknown enum name, a duplicate or escaped property name, an unexpected
/// token, a null where the record wants a value, a missing required property, a number out of range, malformed
/// JSON) it gives up without moving the caller's reader, so the serializer reads that record and reports its
/// errors exactly as before.
/// </summary>
internal static class FastRecordReader
{
    private static readonly (byte[] Name, Field Value)[][] s_fields = ByLength<Field>();
    private static readonly (byte[] Name, RoutingField Value)[][] s_routingFields = ByLength<RoutingField>();
    private static readonly (byte[] Name, LlmCallOutcome Value)[][] s_outcomes = ByLength<LlmCallOutcome>();
    private static readonly (byte[] Name, LlmErrorType Value)[][] s_errorTypes = ByLength<LlmErrorType>();
    private static readonly (byte[] Name, LlmCostSource Value)[][] s_costSources = ByLength<LlmCostSource>();

    /// <summary>Off when the wire format's properties no longer match the ones read here (a new or renamed property).</summary>
    internal static bool Enabled { get; } =
        Matches<Field>(LlmMeterJsonContext.Default.LlmCallRecord) &&
        Matches<RoutingField>(LlmMeterJsonContext.Default.GetTypeInfo(typeof(LlmRoutingInfo)));

    private const ulong RequiredFields =
        1UL << (int)Field.Id | 1UL << (int)Field.StartedAt | 1UL << (int)Field.App | 1UL << (int)Field.Endpoint | 1UL << (int)Field.Outcome;

    /// <summary>The record properties, named as in <see cref="LlmCallRecord"/> (their JSON names are the snake_case forms).</summary>
    private enum Field
    {
        Id, StartedAt, App, Tags, Endpoint, RequestedModel, FallbackModels, ServedModel, FallbackUsed, FallbackIndex,
        Attempts, RequestedProviders, Provider, Stream, StatusCode, Outcome, ErrorType, FinishReason, HeadersMs, TtftMs,
        LatencyMs, InputTokens, CachedInputTokens, CacheWriteTokens, OutputTokens, ReasoningTokens, CostUsd, CostSource,
        Routing, Warnings,
    }

    private enum RoutingField
    {
        RuleId, Action, OriginalModel,
    }

    /// <summary>
    /// Reads the record object at the reader's current <see cref="JsonTokenType.StartObject"/>; on success the reader
    /// is left on its <see cref="JsonTokenType.EndObject"/> (as the serializer leaves it), else it is untouched.
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, [NotNullWhen(true)] out LlmCallRecord? record)
    {
        record = null;
        if (!Enabled || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var copy = reader;
        try
        {
            if (!TryReadRecord(ref copy, out record))
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed JSON or invalid UTF-8 in a string: the serializer reads it again and words the error.
            record = null;
            return false;
        }

        reader = copy;
        return true;
    }

    private static bool TryReadRecord(ref Utf8JsonReader r, [NotNullWhen(true)] out LlmCallRecord? record)
    {
        record = null;
        string? id = null, app = null, endpoint = null, requestedModel = null, servedModel = null, provider = null, finishReason = null;
        DateTimeOffset startedAt = default;
        IReadOnlyDictionary<string, string> tags = LlmMeterContext.EmptyTags;
        List<string>? fallbackModels = null, requestedProviders = null, warnings = null;
        bool fallbackUsed = false, stream = false;
        int? fallbackIndex = null, attempts = null, statusCode = null;
        LlmCallOutcome outcome = default;
        LlmErrorType? errorType = null;
        LlmCostSource costSource = default;
        double? headersMs = null, ttftMs = null;
        double latencyMs = 0;
        long? inputTokens = null, cachedInputTokens = null, cacheWriteTokens = null, outputTokens = null, reasoningTokens = null;
        decimal? costUsd = null;
        LlmRoutingInfo? routing = null;

        ulong seen = 0;
        bool end;
        while (TryNextProperty(ref r, s_fields, ref seen, out var field, out end) && !end)
        {
            var ok = field switch
            {
                Field.Id => TryString(ref r, out id) && id is not null,
                Field.StartedAt => TryDateTimeOffset(ref r, out startedAt),
                Field.App => TryString(ref r, out app) && app is not null,
                Field.Tags => TryTags(ref r, out tags),
                Field.Endpoint => TryString(ref r, out endpoint) && endpoint is not null,
                Field.RequestedModel => TryString(ref r, out requestedModel),
                Field.FallbackModels => TryList(ref r, out fallbackModels),
                Field.ServedModel => TryString(ref r, out servedModel),
                Field.FallbackUsed => TryBool(ref r, out fallbackUsed),
                Field.FallbackIndex => TryInt32(ref r, out fallbackIndex),
                Field.Attempts => TryInt32(ref r, out attempts),
                Field.RequestedProviders => TryList(ref r, out requestedProviders),
                Field.Provider => TryString(ref r, out provider),
                Field.Stream => TryBool(ref r, out stream),
                Field.StatusCode => TryInt32(ref r, out statusCode),
                Field.Outcome => TryEnum(ref r, s_outcomes, out outcome),
                Field.ErrorType => TryNullableEnum(ref r, s_errorTypes, out errorType),
                Field.FinishReason => TryString(ref r, out finishReason),
                Field.HeadersMs => TryDouble(ref r, out headersMs),
                Field.TtftMs => TryDouble(ref r, out ttftMs),
                Field.LatencyMs => r.TokenType == JsonTokenType.Number && r.TryGetDouble(out latencyMs),
                Field.InputTokens => TryInt64(ref r, out inputTokens),
                Field.CachedInputTokens => TryInt64(ref r, out cachedInputTokens),
                Field.CacheWriteTokens => TryInt64(ref r, out cacheWriteTokens),
                Field.OutputTokens => TryInt64(ref r, out outputTokens),
                Field.ReasoningTokens => TryInt64(ref r, out reasoningTokens),
                Field.CostUsd => TryDecimal(ref r, out costUsd),
                Field.CostSource => TryEnum(ref r, s_costSources, out costSource),
                Field.Routing => TryRouting(ref r, out routing),
                _ => TryList(ref r, out warnings),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (!end || (seen & RequiredFields) != RequiredFields)
        {
            return false;
        }

        record = new LlmCallRecord
        {
            Id = id!,
            StartedAt = startedAt,
            App = app!,
            Tags = tags,
            Endpoint = endpoint!,
            RequestedModel = requestedModel,
            FallbackModels = fallbackModels,
            ServedModel = servedModel,
            FallbackUsed = fallbackUsed,
            FallbackIndex = fallbackIndex,
            Attempts = attempts,
            RequestedProviders = requestedProviders,
            Provider = provider,
            Stream = stream,
            StatusCode = statusCode,
            Outcome = outcome,
            ErrorType = errorType,
            FinishReason = finishReason,
            HeadersMs = headersMs,
            TtftMs = ttftMs,
            LatencyMs = latencyMs,
            InputTokens = inputTokens,
            CachedInputTokens = cachedInputTokens,
            CacheWriteTokens = cacheWriteTokens,
            OutputTokens = outputTokens,
            ReasoningTokens = reasoningTokens,
            CostUsd = costUsd,
            CostSource = costSource,
            Routing = routing,
            Warnings = warnings,
        };
        return true;
    }

    /// <summary>As the serializer's constructor binding: absent members are null, unknown ones skipped.</summary>
    private static bool TryRouting(ref Utf8JsonReader r, out LlmRoutingInfo? routing)
    {
        routing = null;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return r.TokenType == JsonTokenType.Null;
        }

        string? ruleId = null, action = null, originalModel = null;
        ulong seen = 0;
        bool end;
        while (TryNextProperty(ref r, s_routingFields, ref seen, out var field, out end) && !end)
        {
            var ok = field switch
            {
                RoutingField.RuleId => TryString(ref r, out ruleId),
                RoutingField.Action => TryString(ref r, out action),
                _ => TryString(ref r, out originalModel),
            };
            if (!ok)
            {
                return false;
            }
        }

        routing = end ? new LlmRoutingInfo(ruleId!, action!, originalModel) : null;
        return end;
    }

    /// <summary>The type's JSON properties are exactly the members of <typeparamref name="T"/> (a bit each in a ulong), none with its own converter.</summary>
    private static bool Matches<T>(JsonTypeInfo? type)
        where T : struct, Enum
    {
        if (type is null || Enum.GetValues<T>().Length > 64 || type.Properties.Any(p => p.CustomConverter is not null || p.IsExtensionData))
        {
            return false;
        }

        var expected = Enum.GetNames<T>().Select(SnakeCase).Order(StringComparer.Ordinal);
        return type.Properties.Select(p => p.Name).Order(StringComparer.Ordinal).SequenceEqual(expected, StringComparer.Ordinal);
    }
}
