namespace LlmMeter.Response;

/// <summary>
/// Decides, with a few vectorised searches instead of a JSON parse, whether a stream chunk can carry
/// anything the record still needs. Once the first chunks have given the id, model, provider and first
/// token, most chunks are plain content deltas: only their content length is taken.
/// </summary>
internal static class EventTriage
{
    /// <summary>True when the chunk may carry usage, an error, routing metadata or a finish reason.</summary>
    public static bool NeedsFullScan(ReadOnlySpan<byte> json) =>
        HasObjectValue(json, "\"usage\":"u8)
        || HasObjectValue(json, "\"error\":"u8)
        || HasObjectValue(json, "\"openrouter_metadata\":"u8)
        || HasNonNullValue(json, "\"finish_reason\":"u8);

    /// <summary>Bytes of the first <c>"content"</c> string (escapes counted as written), 0 when none.</summary>
    public static int ContentBytes(ReadOnlySpan<byte> json)
    {
        var value = ValueAfter(json, "\"content\":"u8);
        if (value.IsEmpty || value[0] != (byte)'"')
        {
            return 0;
        }

        var body = value[1..];
        var length = 0;
        while (true)
        {
            var stop = body[length..].IndexOfAny((byte)'"', (byte)'\\');
            if (stop < 0)
            {
                return 0; // Unterminated: not valid JSON, count nothing.
            }

            length += stop;
            if (body[length] == (byte)'"')
            {
                return length;
            }

            length += 2; // An escape: skip the backslash and the escaped byte.
            if (length >= body.Length)
            {
                return 0;
            }
        }
    }

    private static bool HasObjectValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        while (true)
        {
            var at = json.IndexOf(key);
            if (at < 0)
            {
                return false;
            }

            json = json[(at + key.Length)..].TrimStart(" \t\r\n"u8);
            if (!json.IsEmpty && json[0] == (byte)'{')
            {
                return true;
            }
        }
    }

    private static bool HasNonNullValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        while (true)
        {
            var at = json.IndexOf(key);
            if (at < 0)
            {
                return false;
            }

            json = json[(at + key.Length)..].TrimStart(" \t\r\n"u8);
            if (!json.IsEmpty && json[0] != (byte)'n')
            {
                return true;
            }
        }
    }

    private static ReadOnlySpan<byte> ValueAfter(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        return at < 0 ? default : json[(at + key.Length)..].TrimStart(" \t\r\n"u8);
    }
}
