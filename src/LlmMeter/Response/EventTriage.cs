namespace LlmMeter.Response;

/// <summary>
/// Looks at a stream chunk with vectorised searches instead of a JSON parse. Once the first chunks have given
/// the id, model, provider and first token, most chunks are plain content deltas: only their content length
/// is taken, and a chunk with usage is told apart so that it is parsed at once.
/// </summary>
internal static class EventTriage
{
    /// <summary>
    /// False when the chunk must be parsed rather than triaged: too large to keep for later, or with a name that
    /// may be written with escapes (<c>"us\u0061ge"</c>), which the byte searches here would not recognise.
    /// </summary>
    public static bool CanTriage(ReadOnlySpan<byte> json) => json.Length <= ScanLimits.MaxKeptBytes && !MayHaveEscapedName(json);

    /// <summary>True when the chunk carries a <c>usage</c> object (a chunk like no other: parse it).</summary>
    public static bool HasUsage(ReadOnlySpan<byte> json) => HasObjectValue(json, "\"usage\""u8);

    /// <summary>Bytes of the first <c>"content"</c> string (escapes counted as written), 0 when none.</summary>
    public static int ContentBytes(ReadOnlySpan<byte> json)
    {
        var value = ValueAfter(json, "\"content\""u8);
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

    // The names looked for are lowercase ASCII letters and '_' (U+005F to U+007A). Encoders escape those only on
    // purpose, so escaped non-ASCII text (\u00e9) and control characters (\u000a) in content keep the fast path.
    private static bool MayHaveEscapedName(ReadOnlySpan<byte> json)
    {
        while (true)
        {
            var at = json.IndexOf("\\u00"u8);
            if (at < 0)
            {
                return false;
            }

            json = json[(at + 4)..];
            if (!json.IsEmpty && json[0] is (byte)'5' or (byte)'6' or (byte)'7')
            {
                return true;
            }
        }
    }

    private static bool HasObjectValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        while (true)
        {
            var value = ValueAfter(json, key, out var rest);
            if (rest.IsEmpty)
            {
                return false;
            }

            if (!value.IsEmpty && value[0] == (byte)'{')
            {
                return true;
            }

            json = rest;
        }
    }

    private static ReadOnlySpan<byte> ValueAfter(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key) => ValueAfter(json, key, out _);

    // The value after the first occurrence of `key` followed by a colon (a string that merely equals the key is
    // passed over); `rest` is where to search again, empty when the key is not there.
    private static ReadOnlySpan<byte> ValueAfter(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> rest)
    {
        while (true)
        {
            var at = json.IndexOf(key);
            if (at < 0)
            {
                rest = default;
                return default;
            }

            json = json[(at + key.Length)..];
            var after = json.TrimStart(" \t\r\n"u8);
            if (!after.IsEmpty && after[0] == (byte)':')
            {
                rest = json;
                return after[1..].TrimStart(" \t\r\n"u8);
            }
        }
    }
}
