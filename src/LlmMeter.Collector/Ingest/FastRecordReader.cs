using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

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

    /// <summary>
    /// Moves to the value of the next property in <paramref name="table"/>, skipping unknown ones, or to the object's
    /// end (<paramref name="end"/>). False (give up) for a duplicate, an escaped name or one starting with <c>$</c>
    /// (serializer metadata); <paramref name="seen"/> holds a bit per property read.
    /// </summary>
    private static bool TryNextProperty<T>(ref Utf8JsonReader r, (byte[] Name, T Value)[][] table, ref ulong seen, out T field, out bool end)
        where T : struct, Enum
    {
        field = default;
        while (r.Read())
        {
            end = r.TokenType == JsonTokenType.EndObject;
            if (end)
            {
                return true;
            }

            if (r.TokenType != JsonTokenType.PropertyName || r.ValueIsEscaped || r.HasValueSequence || r.ValueSpan.StartsWith((byte)'$'))
            {
                return false;
            }

            if (!TryMatch(table, r.ValueSpan, out field))
            {
                if (!r.TrySkip())
                {
                    return false;
                }

                continue;
            }

            var bit = 1UL << Unsafe.BitCast<T, int>(field);
            if ((seen & bit) != 0)
            {
                return false;
            }

            seen |= bit;
            return r.Read();
        }

        end = false;
        return false;
    }

    private static bool TryMatch<T>((byte[] Name, T Value)[][] table, ReadOnlySpan<byte> text, out T value)
        where T : struct, Enum
    {
        if (text.Length < table.Length)
        {
            foreach (var (name, candidate) in table[text.Length])
            {
                if (text.SequenceEqual(name))
                {
                    value = candidate;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    // A null token is a null value; any other unexpected token, or a number out of range, gives up.
    private static bool TryString(ref Utf8JsonReader r, out string? value)
    {
        value = r.TokenType == JsonTokenType.String ? r.GetString() : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    private static bool TryBool(ref Utf8JsonReader r, out bool value)
    {
        value = r.TokenType == JsonTokenType.True;
        return value || r.TokenType == JsonTokenType.False;
    }

    private static bool TryInt32(ref Utf8JsonReader r, out int? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    private static bool TryInt64(ref Utf8JsonReader r, out long? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    private static bool TryDouble(ref Utf8JsonReader r, out double? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetDouble(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    /// <summary>Exact, with its scale, as the serializer reads it.</summary>
    private static bool TryDecimal(ref Utf8JsonReader r, out decimal? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetDecimal(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    /// <summary>As the wire format's converter: ISO 8601, then to UTC.</summary>
    private static bool TryDateTimeOffset(ref Utf8JsonReader r, out DateTimeOffset value)
    {
        DateTimeOffset parsed = default;
        var ok = r.TokenType == JsonTokenType.String && r.TryGetDateTimeOffset(out parsed);
        value = parsed.ToUniversalTime();
        return ok;
    }

    /// <summary>Only the exact snake_case names; the serializer also takes other spellings, which it is left to read.</summary>
    private static bool TryEnum<T>(ref Utf8JsonReader r, (byte[] Name, T Value)[][] table, out T value)
        where T : struct, Enum
    {
        value = default;
        return r.TokenType == JsonTokenType.String && !r.ValueIsEscaped && !r.HasValueSequence && TryMatch(table, r.ValueSpan, out value);
    }

    private static bool TryNullableEnum<T>(ref Utf8JsonReader r, (byte[] Name, T Value)[][] table, out T? value)
        where T : struct, Enum
    {
        value = TryEnum(ref r, table, out var parsed) ? parsed : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    /// <summary>A string-to-string object; null gives the empty map (see the class remarks); a duplicate key gives up.</summary>
    private static bool TryTags(ref Utf8JsonReader r, out IReadOnlyDictionary<string, string> tags)
    {
        tags = LlmMeterContext.EmptyTags;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return r.TokenType == JsonTokenType.Null;
        }

        var map = new Dictionary<string, string>();
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                tags = map;
                return true;
            }

            var key = r.GetString()!;
            if (key.StartsWith('$') || !r.Read() || r.TokenType != JsonTokenType.String || !map.TryAdd(key, r.GetString()!))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>A list of strings (no null items), or null.</summary>
    private static bool TryList(ref Utf8JsonReader r, out List<string>? list)
    {
        list = null;
        if (r.TokenType != JsonTokenType.StartArray)
        {
            return r.TokenType == JsonTokenType.Null;
        }

        var items = new List<string>();
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.EndArray)
            {
                list = items;
                return true;
            }

            if (r.TokenType != JsonTokenType.String)
            {
                return false;
            }

            items.Add(r.GetString()!);
        }

        return false;
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

    /// <summary>The snake_case UTF-8 names of an enum's members (as the wire format spells them), bucketed by length.</summary>
    private static (byte[] Name, T Value)[][] ByLength<T>()
        where T : struct, Enum
    {
        var names = Enum.GetValues<T>()
            .Select(value => (Name: Encoding.UTF8.GetBytes(SnakeCase(value.ToString())), Value: value))
            .ToList();
        var table = new (byte[] Name, T Value)[names.Max(n => n.Name.Length) + 1][];
        for (var length = 0; length < table.Length; length++)
        {
            table[length] = names.Where(n => n.Name.Length == length).ToArray();
        }

        return table;
    }

    private static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

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
