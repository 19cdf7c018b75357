using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmMeter;

/// <summary>The record's JSON wire format (snake_case, nulls omitted, times as ISO 8601 UTC with milliseconds).</summary>
public static class LlmMeterJson
{
    /// <summary>Options for <see cref="LlmCallRecord"/> and lists of it.</summary>
    public static JsonSerializerOptions Options => LlmMeterJsonContext.Default.Options;

    /// <summary>Serialises one record.</summary>
    public static string Serialize(LlmCallRecord record) =>
        JsonSerializer.Serialize(record, LlmMeterJsonContext.Default.LlmCallRecord);

    /// <summary>Reads one record; throws <see cref="JsonException"/> on bad input.</summary>
    public static LlmCallRecord? Deserialize(string json) =>
        JsonSerializer.Deserialize(json, LlmMeterJsonContext.Default.LlmCallRecord);
}

/// <summary>Source-generated serialisation metadata for the wire format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(LlmCallRecord))]
[JsonSerializable(typeof(List<LlmCallRecord>))]
[JsonSerializable(typeof(LlmCallRecord[]))]
public sealed partial class LlmMeterJsonContext : JsonSerializerContext;

/// <summary>Writes <see cref="DateTimeOffset"/> as <c>2026-01-31T12:00:00.123Z</c>.</summary>
internal sealed class UtcMillisecondsConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().ToUniversalTime();

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
