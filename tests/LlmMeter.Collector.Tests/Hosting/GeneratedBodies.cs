using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace LlmMeter.Collector.Tests.Hosting;

/// <summary>A generated request body: its bytes, and whether it goes chunked (no Content-Length).</summary>
internal sealed record GeneratedBody(byte[] Bytes, bool Chunked)
{
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Bytes);
        return (Chunked ? "chunked " : string.Empty) + (text.Length > 300 ? text[..300] + $"... ({Bytes.Length} bytes)" : text);
    }
}

/// <summary>
/// CsCheck generators of JSON bodies that are mostly right and wrong in one or a few ways: a member replaced by a
/// value of the wrong type (huge, negative, NaN, deeply nested, oversized, undecodable), dropped, duplicated, an
/// unknown member, then sometimes cut short, spliced with random bytes, or replaced by random bytes altogether.
/// </summary>
internal static class GeneratedBodies
{
    private static readonly string[] s_oddConstants =
    [
        "null", "true", "false", "0", "-0", "-1", "1e400", "-1e400", "1e-400", "NaN", "Infinity", "-Infinity", "0x10",
        "79228162514264337593543950336", "-79228162514264337593543950336", "1000000.0000001", "0.0000000000000000000000000001",
        "9223372036854775808", "1.7976931348623157E+308", "\"\"", "\"   \"", "\"5\"", "[]", "{}", "[null]", "{\"\":\"\"}",
        "\"\\ud800\"", "\"\\udc00x\"", "\"x\\ud83d\"", "\"\\u0000\"", "\"\\uZZZZ\"", "\"day\"", "\"firing\"", "\"block\"",
        "\"Not/AZone\"", "\"UTC\"", "\"a=b\"", "\"=\"", "\"*\"", "01", "1.", ".5", "+1", "'x'", "\"unterminated",
    ];

    /// <summary>A raw JSON value (bytes) that a field would not expect; sometimes not JSON or not UTF-8 at all.</summary>
    public static readonly Gen<byte[]> OddValue = Gen.Frequency(
        (40, Gen.OneOf(s_oddConstants).Select(Utf8)),
        (8, Gen.Int[1, 300].Select(depth => Utf8(new string('[', depth) + new string(']', depth)))),
        (4, Gen.Int[1, 80].Select(depth => Utf8(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)))),
        (10, Gen.Char[' ', '~'].Array[0, 40].Select(chars => Utf8(JsonSerializer.Serialize(new string(chars))))),
        (6, Gen.Char.Array[0, 10].Select(chars => Utf8(JsonSerializer.Serialize(new string(chars))))),
        (10, Gen.Byte.Array[1, 6].Select(bytes => (byte[])[(byte)'"', .. bytes, (byte)'"'])),
        (6, Gen.Long.Select(value => Utf8(value.ToString(CultureInfo.InvariantCulture)))),
        (6, Gen.Double.Select(value => Utf8(value.ToString("R", CultureInfo.InvariantCulture)))),
        (6, Gen.Decimal.Select(value => Utf8(value.ToString(CultureInfo.InvariantCulture)))),
        (1, Gen.Int[1, 12].Select(hundredKb => Utf8("\"" + new string('x', hundredKb * 100_000) + "\""))));

    /// <summary>One of the given JSON texts.</summary>
    public static Gen<byte[]> Json(params string[] texts) => Gen.OneOf(texts).Select(Utf8);

    /// <summary>A JSON object of <paramref name="fields"/>, each kept valid most of the time, else odd or dropped; sometimes a member twice or an unknown one.</summary>
    public static Gen<byte[]> Object(params (string Name, Gen<byte[]> Valid)[] fields)
    {
        var members = Gen.Const(new List<(string Name, byte[] Value)>());
        foreach (var (name, valid) in fields)
        {
            var member = Gen.Frequency(
                (16, valid.Select(v => ((string Name, byte[]? Value))(name, v))),
                (1, OddValue.Select(v => ((string Name, byte[]? Value))(name, v))),
                (1, Gen.Const(((string Name, byte[]? Value))(name, null))));
            members = members.SelectMany(list => member.Select(m => m.Value is null ? list : [.. list, (m.Name, m.Value)]));
        }

        return members.SelectMany(Gen.Int[0, 39], OddValue, (list, extra, odd) =>
        {
            var all = new List<(string Name, byte[] Value)>(list);
            if (extra == 0 && all.Count > 0)
            {
                all.Add((all[odd.Length % all.Count].Name, odd)); // the same member again, with another value
            }
            else if (extra == 1)
            {
                all.Add(("unknown_member", odd));
            }

            return Gen.Const(Serialize(all));
        });
    }

    /// <summary>A body from <paramref name="valid"/>, now and then cut short, spliced with random bytes or random altogether; sometimes sent chunked.</summary>
    public static Gen<GeneratedBody> Body(Gen<byte[]> valid) =>
        Gen.Select(valid, Gen.Int[0, 39], Gen.Int.Uniform, Gen.Byte.Array[1, 16], Gen.Bool, (bytes, damage, position, noise, chunked) =>
        {
            var at = (int)((uint)position % (uint)(bytes.Length + 1));
            var damaged = damage switch
            {
                0 => bytes[..at], // truncated
                1 => [.. bytes[..at], .. noise, .. bytes[at..]], // random bytes spliced in
                2 => noise, // nothing but random bytes
                _ => bytes,
            };
            return new GeneratedBody(damaged, chunked && damage % 4 == 0);
        });

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Serialize(List<(string Name, byte[] Value)> members)
    {
        var output = new MemoryStream();
        output.WriteByte((byte)'{');
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                output.WriteByte((byte)',');
            }

            output.Write(Utf8(JsonSerializer.Serialize(members[i].Name)));
            output.WriteByte((byte)':');
            output.Write(members[i].Value);
        }

        output.WriteByte((byte)'}');
        return output.ToArray();
    }
}
