using System.Buffers;
using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>
/// Follows the JSON token the reader could not finish at the end of a piece while more bytes arrive, so that the
/// reader runs again only once the token can end (a closing quote, a delimiter). Each new byte is looked at once
/// here, whatever the read size: the unfinished token is never rescanned from its start on every read.
/// </summary>
internal struct UnfinishedToken
{
    // A string stops at its closing quote or an escape; a raw control character in it is not JSON.
    private static readonly SearchValues<byte> s_stringStops = SearchValues.Create(
        [(byte)'"', (byte)'\\', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

    private static readonly SearchValues<byte> s_whitespace = SearchValues.Create(" \t\r\n"u8);

    // The bytes of numbers and of the literals true, false and null.
    private static readonly SearchValues<byte> s_bare = SearchValues.Create("0123456789+-.eEtrufalsn"u8);

    private Kind _kind;
    private bool _escaped;
    private bool _star;

    /// <summary>What the next byte continues.</summary>
    public enum Kind : byte
    {
        Between,
        String,
        Bare,
        Slash,
        LineComment,
        BlockComment,
    }

    /// <summary>What <see cref="Outside"/> went over.</summary>
    public enum Run : byte
    {
        /// <summary>Whitespace between tokens: nothing to keep.</summary>
        Space,

        /// <summary>Bytes of a token that is not finished yet (ends right after an opening quote).</summary>
        Token,

        /// <summary>Ends with a byte after which the reader may finish a token: run the reader.</summary>
        End,
    }

    public readonly bool InString => _kind == Kind.String;

    /// <summary>
    /// Goes over string body bytes (escapes included, as written); <paramref name="closed"/> when the closing
    /// quote is at the returned index (it is not counted, and the token then continues outside the string).
    /// </summary>
    public int StringBody(ReadOnlySpan<byte> bytes, out bool closed)
    {
        closed = false;
        var at = 0;
        if (_escaped)
        {
            if (bytes.IsEmpty)
            {
                return 0;
            }

            _escaped = false;
            at = 1; // The byte after a backslash at the end of the previous piece.
        }

        while (true)
        {
            var stop = bytes[at..].IndexOfAny(s_stringStops);
            if (stop < 0)
            {
                return bytes.Length;
            }

            at += stop;
            switch (bytes[at])
            {
                case (byte)'"':
                    closed = true;
                    _kind = Kind.Between;
                    return at;
                case (byte)'\\':
                    if (at + 1 == bytes.Length)
                    {
                        _escaped = true;
                        return bytes.Length;
                    }

                    at += 2;
                    break;
                default:
                    // The reader refuses it too; it is found here because a skipped body never reaches the reader.
                    throw new JsonException("A control character in a JSON string.");
            }
        }
    }

    /// <summary>Goes over bytes outside a string, up to and including the first that changes what is to be done.</summary>
    public int Outside(ReadOnlySpan<byte> bytes, out Run run)
    {
        run = Run.Token;
        switch (_kind)
        {
            case Kind.Between:
                var start = bytes.IndexOfAnyExcept(s_whitespace);
                if (start != 0)
                {
                    run = Run.Space;
                    return start < 0 ? bytes.Length : start;
                }

                switch (bytes[0])
                {
                    case (byte)'"':
                        _kind = Kind.String;
                        break;
                    case (byte)'/':
                        _kind = Kind.Slash;
                        break;
                    case var b when s_bare.Contains(b):
                        _kind = Kind.Bare;
                        break;
                    default:
                        run = Run.End; // A structural byte (or one the reader will refuse).
                        break;
                }

                return 1;
            case Kind.Bare:
                return Through(bytes.IndexOfAnyExcept(s_bare), bytes.Length, ref run);
            case Kind.Slash:
                _kind = bytes[0] switch { (byte)'*' => Kind.BlockComment, (byte)'/' => Kind.LineComment, _ => Kind.Between };
                run = _kind == Kind.Between ? Run.End : Run.Token;
                return 1;
            case Kind.LineComment:
                return Through(bytes.IndexOfAny((byte)'\n', (byte)'\r'), bytes.Length, ref run);
            case Kind.BlockComment:
                return BlockComment(bytes, ref run);
            default:
                throw new InvalidOperationException("A string body goes through StringBody.");
        }
    }

    // The token ends at `stop` (the byte is included); none found: the token goes on.
    private int Through(int stop, int length, ref Run run)
    {
        if (stop < 0)
        {
            return length;
        }

        _kind = Kind.Between;
        run = Run.End;
        return stop + 1;
    }

    private int BlockComment(ReadOnlySpan<byte> bytes, ref Run run)
    {
        var at = 0;
        if (_star && bytes[0] == (byte)'/')
        {
            _star = false;
            return Through(0, bytes.Length, ref run);
        }

        while (true)
        {
            var star = bytes[at..].IndexOf((byte)'*');
            if (star < 0)
            {
                _star = false;
                return bytes.Length;
            }

            at += star + 1;
            if (at == bytes.Length)
            {
                _star = true;
                return bytes.Length;
            }

            if (bytes[at] == (byte)'/')
            {
                _star = false;
                return Through(at, bytes.Length, ref run);
            }
        }
    }
}
