namespace LlmMeter.Response;

/// <summary>
/// Measures the streamed text that is billed as output besides <c>delta.content</c>: reasoning text
/// (<c>delta.reasoning</c>) and tool-call arguments (<c>delta.tool_calls[].function.arguments</c>), so that a stream
/// aborted before its usage is approximated from all of its output. Vectorised searches, no JSON parse.
/// </summary>
internal static class DeltaTextMeter
{
    /// <summary>Adds the chunk's reasoning and argument bytes (escapes counted as written) to <paramref name="facts"/>.</summary>
    public static void Measure(ReadOnlySpan<byte> json, ResponseFacts facts)
    {
        // reasoning_details repeats the reasoning text: "reasoning" alone is counted.
        facts.ReasoningBytes += StringBytes(json, "\"reasoning\""u8);
        facts.ToolArgumentBytes += StringBytes(json, "\"arguments\""u8);
    }

    // The total length of every string value of `key` (a string that merely equals the key is passed over).
    private static long StringBytes(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        long total = 0;
        while (true)
        {
            var at = json.IndexOf(key);
            if (at < 0)
            {
                return total;
            }

            json = json[(at + key.Length)..];
            var value = json.TrimStart(" \t\r\n"u8);
            if (value.IsEmpty || value[0] != (byte)':')
            {
                continue;
            }

            value = value[1..].TrimStart(" \t\r\n"u8);
            if (value.IsEmpty || value[0] != (byte)'"')
            {
                continue; // null or an object: nothing to count.
            }

            var length = StringLength(value[1..]);
            if (length < 0)
            {
                return total; // Unterminated: not valid JSON, count no more.
            }

            total += length;
            json = value[(length + 2)..];
        }
    }

    private static int StringLength(ReadOnlySpan<byte> body)
    {
        var length = 0;
        while (true)
        {
            var stop = body[length..].IndexOfAny((byte)'"', (byte)'\\');
            if (stop < 0)
            {
                return -1;
            }

            length += stop;
            if (body[length] == (byte)'"')
            {
                return length;
            }

            length += 2; // An escape: the backslash and the escaped byte.
            if (length >= body.Length)
            {
                return -1;
            }
        }
    }
}
