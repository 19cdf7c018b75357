using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using LlmMeter.Record.Internal;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// Reads records one by one from a buffered body (a JSON array or NDJSON), each with <see cref="FastRecordReader"/>
/// or, when it gives up, with the wire-format metadata. A record that is well-formed JSON but not a valid record
/// (wrong type, missing property, not an object) is refused alone, named by index and field, and reading goes on;
/// only a body that cannot be read as a whole (not JSON, not an array, broken or truncated) is refused entirely.
/// In NDJSON each line stands alone, so a broken line is one refused record. A body over the record limit is
/// refused without reading further.
/// </summary>
internal static class RecordParser
{
    // The serializer's message for absent required properties, which it lists by their JSON names.
    private const string MissingRequired = "missing required properties including: ";

    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 64 };

    public static ParsedBody ParseArray(ReadOnlySpan<byte> body, int maxRecords)
    {
        body = SkipBom(body);
        var parsed = new ParsedBody();
        var reader = new Utf8JsonReader(body, s_readerOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                parsed.Error = new RecordError(null, null, "The body must be a JSON array of records (use application/x-ndjson for one record per line).");
                return parsed;
            }
        }
        catch (JsonException ex)
        {
            parsed.Error = new RecordError(null, null, $"The body is not valid JSON: {Describe(ex, withLine: true)}");
            return parsed;
        }

        for (var index = 0; ; index++)
        {
            try
            {
                if (!reader.Read())
                {
                    parsed.Error = new RecordError(index, null, "The array is not closed.");
                    break;
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    parsed.Error = CheckNothingAfterArray(ref reader);
                    break;
                }

                if (index >= maxRecords)
                {
                    parsed.TooMany = true;
                    break;
                }

                ReadElement(ref reader, body, index, parsed);
            }
            catch (JsonException ex)
            {
                parsed.Error = FromException(ex, index, withLine: true);
                break;
            }
        }

        if (parsed.Error is not null)
        {
            parsed.KnownCount = CountArrayElements(body);
        }

        return parsed;
    }

    public static ParsedBody ParseNdjson(ReadOnlySpan<byte> body, int maxRecords)
    {
        body = SkipBom(body);
        var parsed = new ParsedBody();
        var index = 0;
        var rest = body;
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var text = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? [] : rest[(newline + 1)..];
            text = text[Ascii.Trim(text)];
            if (text.IsEmpty)
            {
                continue;
            }

            if (index >= maxRecords)
            {
                parsed.TooMany = true;
                return parsed;
            }

            var reader = new Utf8JsonReader(text, s_readerOptions);
            var records = parsed.Records.Count;
            try
            {
                reader.Read();
                ReadElement(ref reader, text, index, parsed);
                if (HasMore(ref reader))
                {
                    Unread(parsed, records);
                    Reject(parsed, index, text, null, "Unexpected content after the record.");
                }
            }
            catch (JsonException ex)
            {
                // The line is not JSON, or its record is broken: that record alone is refused.
                Unread(parsed, records);
                if (parsed.Rejected.Count == 0 || parsed.Rejected[^1].Index != index)
                {
                    var error = FromException(ex, index, withLine: false);
                    Reject(parsed, index, text, error.Field, error.Message);
                }
            }

            index++;
        }

        return parsed;
    }

    /// <summary>
    /// Reads the element at the reader's current token, leaving the reader on its last token: a record is added to
    /// <paramref name="parsed"/>, a well-formed element that is not a valid record is refused. Throws
    /// <see cref="JsonException"/> only when the element is not well-formed JSON (the body cannot be read on).
    /// </summary>
    private static void ReadElement(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, int index, ParsedBody parsed)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var token = reader.TokenType;
            reader.Skip();
            Reject(parsed, index, source[start..(int)reader.BytesConsumed], null, $"A record must be a JSON object (got {token}).");
            return;
        }

        // The usual record takes the fast path; the serializer reads the rest and words the errors.
        if (FastRecordReader.TryRead(ref reader, out var record))
        {
            parsed.Add(record, Encoding.UTF8.GetString(source[start..(int)reader.BytesConsumed]), index);
            return;
        }

        var before = reader;
        try
        {
            record = JsonSerializer.Deserialize(ref reader, LlmMeterJsonContext.Default.LlmCallRecord)!;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            // A well-formed record the serializer refuses (or a string it cannot decode: invalid UTF-8, a lone
            // surrogate escape) is skipped; a broken one cannot be, and then its own error refuses the body.
            reader = before;
            try
            {
                reader.Skip();
            }
            catch (JsonException) when (ex is JsonException serializerError)
            {
                ExceptionDispatchInfo.Throw(serializerError);
            }

            var (field, message) = ex is JsonException json ? Explain(json) : (null, "A string is not valid UTF-8 or UTF-16 text.");
            Reject(parsed, index, source[start..(int)reader.BytesConsumed], field, message);
            return;
        }

        // Absent or null tags: the record's own default, as the fast path gives.
        if (record.Tags is null)
        {
            record = record with { Tags = LlmMeterContext.EmptyTags };
        }

        parsed.Add(record, Encoding.UTF8.GetString(source[start..(int)reader.BytesConsumed]), index);
    }

    private static bool HasMore(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException)
        {
            return true; // Something that is not even JSON follows.
        }
    }

    private static void Reject(ParsedBody parsed, int index, ReadOnlySpan<byte> json, string? field, string message) =>
        parsed.Rejected.Add(new RejectedRecord(index, IdOf(json), field, message));

    /// <summary>Takes back a record read from an NDJSON line that then turned out to have more on it.</summary>
    private static void Unread(ParsedBody parsed, int count)
    {
        if (parsed.Records.Count > count)
        {
            parsed.Records.RemoveAt(count);
            parsed.WireJson.RemoveAt(count);
            parsed.Indexes.RemoveAt(count);
        }
    }

    /// <summary>
    /// The top-level <c>id</c> of a refused record's JSON (the last one, as the serializer reads duplicates), as far
    /// as it can be read, when it is itself a valid id; else null.
    /// </summary>
    internal static string? IdOf(ReadOnlySpan<byte> json)
    {
        string? id = null;
        try
        {
            var reader = new Utf8JsonReader(json, s_readerOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read())
                {
                    break;
                }

                if (isId && reader.TokenType == JsonTokenType.String)
                {
                    id = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Read as far as it goes: an id seen before the break still names the record.
        }

        return id is { Length: > 0 and <= RecordLimits.MaxIdLength } && !RecordLimits.HasControlCharacters(id) ? id : null;
    }

    private static RecordError? CheckNothingAfterArray(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read() ? new RecordError(null, null, "Unexpected content after the array.") : null;
        }
        catch (JsonException ex)
        {
            return new RecordError(null, null, $"Unexpected content after the array: {Describe(ex, withLine: true)}");
        }
    }

    private static RecordError FromException(JsonException ex, int index, bool withLine) =>
        ex.Message.Contains(MissingRequired, StringComparison.Ordinal)
            ? new(index, FieldOf(ex), "is required and missing.")
            : new(index, FieldOf(ex), Describe(ex, withLine));

    /// <summary>The field and message of a record the serializer refused (positions are within the record).</summary>
    private static (string? Field, string Message) Explain(JsonException ex) =>
        ex.Message.Contains(MissingRequired, StringComparison.Ordinal)
            ? (FieldOf(ex), "is required and missing.")
            : (FieldOf(ex), Describe(ex, withLine: false));

    /// <summary>
    /// The top-level snake_case property an error is about: the first segment of <see cref="JsonException.Path"/>
    /// (<c>$.tags.team</c> gives <c>tags</c>), or for a missing required property the first name the message lists.
    /// </summary>
    internal static string? FieldOf(JsonException ex)
    {
        var message = ex.Message;
        var at = message.IndexOf(MissingRequired, StringComparison.Ordinal);
        if (at >= 0)
        {
            var start = message.IndexOf('\'', at + MissingRequired.Length);
            var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
            return end > start ? message[(start + 1)..end] : null;
        }

        var path = ex.Path;
        if (path is null || !path.StartsWith('$') || path.Length < 2)
        {
            return null;
        }

        if (path[1] == '.')
        {
            var end = path.IndexOfAny(['.', '['], 2);
            return end < 0 ? path[2..] : path[2..end];
        }

        if (path.StartsWith("$['", StringComparison.Ordinal))
        {
            var end = path.IndexOf("']", 3, StringComparison.Ordinal);
            return end < 0 ? null : path[3..end];
        }

        return null;
    }

    /// <summary>The exception's message without the serializer's own path and position suffix or .NET type names.</summary>
    private static string Describe(JsonException ex, bool withLine)
    {
        var message = ex.Message;
        var suffix = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (suffix < 0)
        {
            suffix = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }

        message = suffix < 0 ? message : message[..suffix];
        if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
        {
            message = "The value has the wrong type or format.";
        }

        // NDJSON parses each line alone: its error carries the body's line number separately.
        var position = ex.BytePositionInLine is not { } column ? string.Empty
            : withLine ? FormattableString.Invariant($" (line {ex.LineNumber + 1}, byte {column + 1})")
            : FormattableString.Invariant($" (byte {column + 1})");
        return message.TrimEnd() + position;
    }

    private static int? CountArrayElements(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, s_readerOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return null;
            }

            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                reader.Skip();
                count++;
            }

            return count;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> body) =>
        body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? body[3..] : body;
}
