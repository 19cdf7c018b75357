using System.Text;
using System.Text.Json;

namespace LlmMeter.Collector.Ingest;

/// <summary>Why a body was refused: the record's 0-based index, its snake_case field and the NDJSON line, when known.</summary>
internal sealed record RecordError(int? Index, string? Field, string Message, int? Line = null);

/// <summary>The records of a body, or why it was refused.</summary>
internal sealed class ParsedBody
{
    public List<LlmCallRecord> Records { get; } = [];

    /// <summary>Each record's JSON text as received, same order: the store keeps it instead of serialising again.</summary>
    public List<string> WireJson { get; } = [];

    public RecordError? Error { get; set; }

    /// <summary>More records than allowed; parsing stopped there.</summary>
    public bool TooMany { get; set; }

    /// <summary>How many records the refused body holds, when that can still be told (for the rejected counter).</summary>
    public int? KnownCount { get; set; }
}

/// <summary>
/// Reads records one by one from a buffered body (a JSON array or NDJSON), each with <see cref="FastRecordReader"/>
/// or, when it gives up, with the wire-format metadata, so an error names the record's index and field, and a body
/// over the record limit is refused without reading further.
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

        while (true)
        {
            var index = parsed.Records.Count;
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

                if (!ReadRecord(ref reader, body, index, parsed))
                {
                    break;
                }
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
        var line = 0;
        var rest = body;
        while (!rest.IsEmpty)
        {
            line++;
            var newline = rest.IndexOf((byte)'\n');
            var text = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? [] : rest[(newline + 1)..];
            text = text[Ascii.Trim(text)];
            if (text.IsEmpty)
            {
                continue;
            }

            var index = parsed.Records.Count;
            if (index >= maxRecords)
            {
                parsed.TooMany = true;
                return parsed;
            }

            var reader = new Utf8JsonReader(text, s_readerOptions);
            try
            {
                reader.Read();
                if (!ReadRecord(ref reader, text, index, parsed) || reader.Read())
                {
                    parsed.Error ??= new RecordError(index, null, "Unexpected content after the record.");
                }
            }
            catch (JsonException ex)
            {
                parsed.Error = FromException(ex, index, withLine: false);
            }

            if (parsed.Error is not null)
            {
                parsed.Error = parsed.Error with { Line = line };
                parsed.KnownCount = index + CountNonBlankLines(rest) + 1;
                return parsed;
            }
        }

        return parsed;
    }

    /// <summary>Reads the record at the reader's current token (which must start an object).</summary>
    private static bool ReadRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, int index, ParsedBody parsed)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            parsed.Error = new RecordError(index, null, $"A record must be a JSON object (got {reader.TokenType}).");
            return false;
        }

        var start = (int)reader.TokenStartIndex;
        // The usual record takes the fast path; the serializer reads the rest and words the errors.
        if (!FastRecordReader.TryRead(ref reader, out var record))
        {
            record = JsonSerializer.Deserialize(ref reader, LlmMeterJsonContext.Default.LlmCallRecord)!;

            // Absent or null tags: the record's own default, as the fast path gives.
            if (record.Tags is null)
            {
                record = record with { Tags = LlmMeterContext.EmptyTags };
            }
        }

        parsed.Records.Add(record);
        parsed.WireJson.Add(Encoding.UTF8.GetString(source[start..(int)reader.BytesConsumed]));
        return true;
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

    private static int CountNonBlankLines(ReadOnlySpan<byte> rest)
    {
        var count = 0;
        foreach (var range in rest.Split((byte)'\n'))
        {
            var text = rest[range];
            if (!text[Ascii.Trim(text)].IsEmpty)
            {
                count++;
            }
        }

        return count;
    }

    private static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> body) =>
        body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? body[3..] : body;
}
