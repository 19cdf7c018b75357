using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// The token-level reads <see cref="FastRecordReader"/> is built from: property names matched against
/// snake_case name tables bucketed by length, and typed values that give up (false) on any token the
/// serializer would treat differently.
/// </summary>
internal static class FastJson
{
    /// <summary>
    /// Moves to the value of the next property in <paramref name="table"/>, skipping unknown ones, or to the object's
    /// end (<paramref name="end"/>). False (give up) for a duplicate, an escaped name or one starting with <c>$</c>
    /// (serializer metadata); <paramref name="seen"/> holds a bit per property read.
    /// </summary>
    public static bool TryNextProperty<T>(ref Utf8JsonReader r, (byte[] Name, T Value)[][] table, ref ulong seen, out T field, out bool end)
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

    public static bool TryMatch<T>((byte[] Name, T Value)[][] table, ReadOnlySpan<byte> text, out T value)
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
    public static bool TryString(ref Utf8JsonReader r, out string? value)
    {
        value = r.TokenType == JsonTokenType.String ? r.GetString() : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    public static bool TryBool(ref Utf8JsonReader r, out bool value)
    {
        value = r.TokenType == JsonTokenType.True;
        return value || r.TokenType == JsonTokenType.False;
    }

    public static bool TryInt32(ref Utf8JsonReader r, out int? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    public static bool TryInt64(ref Utf8JsonReader r, out long? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    public static bool TryDouble(ref Utf8JsonReader r, out double? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetDouble(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    /// <summary>Exact, with its scale, as the serializer reads it.</summary>
    public static bool TryDecimal(ref Utf8JsonReader r, out decimal? value)
    {
        value = r.TokenType == JsonTokenType.Number && r.TryGetDecimal(out var number) ? number : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    /// <summary>As the wire format's converter: ISO 8601, then to UTC.</summary>
    public static bool TryDateTimeOffset(ref Utf8JsonReader r, out DateTimeOffset value)
    {
        DateTimeOffset parsed = default;
        var ok = r.TokenType == JsonTokenType.String && r.TryGetDateTimeOffset(out parsed);
        value = parsed.ToUniversalTime();
        return ok;
    }

    /// <summary>Only the exact snake_case names; the serializer also takes other spellings, which it is left to read.</summary>
    public static bool TryEnum<T>(ref Utf8JsonReader r, (byte[] Name, T Value)[][] table, out T value)
        where T : struct, Enum
    {
        value = default;
        return r.TokenType == JsonTokenType.String && !r.ValueIsEscaped && !r.HasValueSequence && TryMatch(table, r.ValueSpan, out value);
    }

    public static bool TryNullableEnum<T>(ref Utf8JsonReader r, (byte[] Name, T Value)[][] table, out T? value)
        where T : struct, Enum
    {
        value = TryEnum(ref r, table, out var parsed) ? parsed : null;
        return value is not null || r.TokenType == JsonTokenType.Null;
    }

    /// <summary>A string-to-string object; null gives the empty map (see the class remarks); a duplicate key gives up.</summary>
    public static bool TryTags(ref Utf8JsonReader r, out IReadOnlyDictionary<string, string> tags)
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
    public static bool TryList(ref Utf8JsonReader r, out List<string>? list)
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

    /// <summary>The snake_case UTF-8 names of an enum's members (as the wire format spells them), bucketed by length.</summary>
    public static (byte[] Name, T Value)[][] ByLength<T>()
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

    public static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
