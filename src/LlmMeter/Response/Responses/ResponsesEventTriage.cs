namespace LlmMeter.Response.Responses;

/// <summary>
/// Most events of a Responses stream are <c>*.delta</c> events, which hold nothing the record needs but the size of
/// their <c>delta</c> string: they are measured with vectorised searches instead of a JSON parse. Only the shape
/// OpenAI and OpenRouter write is taken this way (<c>{"type":"response.….delta",…,"delta":"…",…}</c>, type first,
/// no spaces); any other event is parsed.
/// </summary>
internal static class ResponsesEventTriage
{
    /// <summary>True when <paramref name="json"/> is a delta event: <paramref name="bytes"/> is its delta's size as written.</summary>
    /// <param name="json">One event's data.</param>
    /// <param name="bytes">Size of the <c>delta</c> string, escapes counted as written.</param>
    /// <param name="reasoning">A reasoning delta: billed output, but not the first visible token.</param>
    public static bool TryMeasureDelta(ReadOnlySpan<byte> json, out int bytes, out bool reasoning)
    {
        bytes = 0;
        reasoning = false;
        var prefix = "{\"type\":\"response."u8;
        if (!json.StartsWith(prefix))
        {
            return false;
        }

        var typeEnd = json[prefix.Length..].IndexOfAny((byte)'"', (byte)'\\');
        if (typeEnd < 0 || json[prefix.Length + typeEnd] != (byte)'"')
        {
            return false;
        }

        var type = json.Slice(prefix.Length, typeEnd);
        if (!type.EndsWith(".delta"u8))
        {
            return false;
        }

        // A quote can only open a key here: inside a JSON string every quote is escaped.
        var key = "\"delta\":\""u8;
        var at = json.IndexOf(key);
        if (at < 0)
        {
            return false;
        }

        var body = json[(at + key.Length)..];
        var length = 0;
        while (true)
        {
            var stop = body[length..].IndexOfAny((byte)'"', (byte)'\\');
            if (stop < 0)
            {
                return false; // Unterminated: let the parser report it.
            }

            length += stop;
            if (body[length] == (byte)'"')
            {
                break;
            }

            length += 2; // An escape: the backslash and the escaped byte.
            if (length >= body.Length)
            {
                return false;
            }
        }

        bytes = length;
        reasoning = type.IndexOf("reasoning"u8) >= 0;
        return true;
    }
}
