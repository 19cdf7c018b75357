using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmMeter.Policy.Internal;

/// <summary>
/// Rewrites the top-level <c>model</c> and every <c>models</c> entry of a request body. Only those string
/// tokens are replaced; every other byte (order, spacing, unknown fields) goes out as the caller wrote it.
/// </summary>
internal static class RequestRewriter
{
    private static readonly JavaScriptEncoder s_encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The new body, or null when nothing changes (no model mapped to a different one, or not a JSON object).</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> body, ModelMapper mapper)
    {
        List<(int Start, int Length, string Value)>? edits = null;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                var isModels = !isModel && reader.ValueTextEquals("models"u8);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.String)
                {
                    Edit(ref reader, mapper, ref edits);
                }
                else if (isModels && reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            Edit(ref reader, mapper, ref edits);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return null; // Not JSON: the meter never rewrites what it cannot read.
        }

        return edits is null ? null : Apply(body, edits);
    }

    private static void Edit(ref Utf8JsonReader reader, ModelMapper mapper, ref List<(int, int, string)>? edits)
    {
        var current = reader.GetString();
        if (mapper.Map(current) is { } mapped && !string.Equals(mapped, current, StringComparison.Ordinal))
        {
            // A string token spans its quotes; ValueSpan is the raw text between them (escapes included).
            var length = reader.ValueSpan.Length + 2;
            (edits ??= []).Add(((int)reader.TokenStartIndex, length, mapped));
        }
    }

    private static byte[] Apply(ReadOnlySpan<byte> body, List<(int Start, int Length, string Value)> edits)
    {
        var output = new ArrayBufferWriter<byte>(body.Length + 64);
        var position = 0;
        foreach (var (start, length, value) in edits)
        {
            output.Write(body[position..start]);
            output.Write("\""u8);
            output.Write(JsonEncodedText.Encode(value, s_encoder).EncodedUtf8Bytes);
            output.Write("\""u8);
            position = start + length;
        }

        output.Write(body[position..]);
        return output.WrittenSpan.ToArray();
    }
}
