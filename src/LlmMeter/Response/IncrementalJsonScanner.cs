using System.Buffers;
using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>
/// Feeds a JSON body to an <see cref="IResponseScanner"/> piece by piece, as the caller reads it. Complete tokens are
/// read straight from the caller's piece; only the unfinished token at its end is kept, and that token is followed
/// byte by byte (<see cref="UnfinishedToken"/>) until it can end, so the work per byte does not depend on the read
/// size or the token size. A string longer than <see cref="ScanLimits.MaxKeptBytes"/> that the meter does not
/// need whole is not kept at all: its length is counted as it passes and the reader is shown an empty string in
/// its place.
/// </summary>
internal sealed class IncrementalJsonScanner : IDisposable
{
    // Room over the limit for what may precede a kept token (a comma) and follow it (the closing quote).
    private const int Slack = 16;

    private static readonly JsonReaderOptions s_options = new() { CommentHandling = JsonCommentHandling.Skip };

    private readonly IResponseScanner _scanner;
    private JsonReaderState _state = new(s_options);
    private byte[] _pending = [];
    private int _pendingLength;
    private UnfinishedToken _token;
    private int _bodyStart;
    private long _skipped = -1;
    private bool _tooLarge;

    public IncrementalJsonScanner(IResponseScanner scanner) => _scanner = scanner;

    /// <summary>Bytes the reader and the token follower went over: the measure of the scan's work.</summary>
    public long BytesExamined { get; private set; }

    /// <summary>Capacity of the buffer that keeps an unfinished token (bounded, whatever the token's size).</summary>
    public int KeptCapacity => _pending.Length;

    /// <summary>
    /// False once a string the meter needs whole outgrew <see cref="ScanLimits.MaxNeededBytes"/>, or another token
    /// (a number, a comment) outgrew <see cref="ScanLimits.MaxKeptBytes"/>.
    /// </summary>
    public bool Feed(ReadOnlySpan<byte> piece)
    {
        if (_skipped >= 0)
        {
            // The common case while a long string passes: small reads cost a search and a count.
            var body = _token.StringBody(piece, out var closed);
            _skipped += body;
            BytesExamined += body;
            if (!closed)
            {
                return true;
            }

            CloseString();
            piece = piece[(body + 1)..];
            Rescan();
        }

        while (!piece.IsEmpty && !_tooLarge)
        {
            if (_pendingLength == 0)
            {
                piece = piece[Scan(piece, isFinal: false)..];
                _token = default;
                if (piece.IsEmpty)
                {
                    break;
                }
            }

            var taken = Take(piece, out var mayEnd);
            piece = piece[taken..];
            if (mayEnd && !_tooLarge)
            {
                Rescan();
            }
        }

        return !_tooLarge && !_scanner.LostValue;
    }

    public void Complete()
    {
        if (_pendingLength > 0)
        {
            // An unterminated token (a skipped string keeps its opening quote): the reader reports it.
            Scan(_pending.AsSpan(0, _pendingLength), isFinal: true);
            _pendingLength = 0;
        }
    }

    /// <summary>Prepares for a new JSON value (the next large stream event).</summary>
    public void Reset()
    {
        _state = new JsonReaderState(s_options);
        _pendingLength = 0;
        _token = default;
        _skipped = -1;
        _tooLarge = false;
    }

    public void Dispose()
    {
        if (_pending.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = [];
        }
    }

    private int Scan(ReadOnlySpan<byte> data, bool isFinal)
    {
        BytesExamined += data.Length;
        var reader = new Utf8JsonReader(data, isFinal, _state);
        _scanner.Scan(ref reader);
        _state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    // Takes bytes of the piece into the unfinished token, up to and including one after which the reader may
    // finish it (mayEnd), or the whole piece.
    private int Take(ReadOnlySpan<byte> piece, out bool mayEnd)
    {
        var taken = 0;
        while (taken < piece.Length)
        {
            var rest = piece[taken..];
            if (_token.InString)
            {
                var body = _token.StringBody(rest, out var closed);
                BytesExamined += body;
                KeepBody(rest[..body]);
                taken += body;
                if (closed)
                {
                    CloseString();
                    mayEnd = true;
                    return taken + 1;
                }

                continue;
            }

            var length = _token.Outside(rest, out var run);
            BytesExamined += length;
            taken += length;
            if (run == UnfinishedToken.Run.Space)
            {
                continue; // Whitespace between tokens means nothing to the reader: not kept.
            }

            Append(rest[..length]);
            if (_pendingLength > ScanLimits.MaxKeptBytes + Slack)
            {
                _tooLarge = true; // A number, literal or comment this long is nothing the meter can use.
            }

            if (run == UnfinishedToken.Run.End)
            {
                mayEnd = true;
                return taken;
            }

            if (_token.InString)
            {
                _bodyStart = _pendingLength;
            }
        }

        mayEnd = false;
        return taken;
    }

    private void KeepBody(ReadOnlySpan<byte> body)
    {
        if (_skipped >= 0)
        {
            _skipped += body.Length;
        }
        else if (_pendingLength + body.Length <= ScanLimits.MaxKeptBytes)
        {
            Append(body);
        }
        else if (_scanner.NeedsNextString)
        {
            // A value the meter needs whole (a model id, an error message) is kept, up to a far larger limit.
            _tooLarge = _pendingLength + body.Length > ScanLimits.MaxNeededBytes;
            if (!_tooLarge)
            {
                Append(body);
            }
        }
        else
        {
            // Too long to keep (a base64 image, a long tool result): only its length is counted from here on.
            _skipped = _pendingLength - _bodyStart + body.Length;
            _pendingLength = _bodyStart;
        }
    }

    private void CloseString()
    {
        if (_skipped >= 0)
        {
            // The reader will see "" (the opening quote is kept): the scanner takes the real length instead.
            _scanner.SkipNextString(_skipped);
            _skipped = -1;
        }

        Append("\""u8);
    }

    // The kept token can end now: let the reader take what it can, and follow what it leaves.
    private void Rescan()
    {
        var used = Scan(_pending.AsSpan(0, _pendingLength), isFinal: false);
        _pending.AsSpan(used, _pendingLength - used).CopyTo(_pending);
        _pendingLength -= used;
        Relex();
    }

    // The reader stopped again inside what is kept: follow the rest of it from its start.
    private void Relex()
    {
        _token = default;
        var kept = _pending.AsSpan(0, _pendingLength);
        var at = 0;
        while (at < kept.Length)
        {
            if (_token.InString)
            {
                at += _token.StringBody(kept[at..], out var closed) + (closed ? 1 : 0);
                continue;
            }

            at += _token.Outside(kept[at..], out _);
            if (_token.InString)
            {
                _bodyStart = at;
            }
        }

        BytesExamined += kept.Length;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pendingLength + bytes.Length > _pending.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_pending.Length * 2, 512), _pendingLength + bytes.Length));
            _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
            if (_pending.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_pending);
            }

            _pending = bigger;
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }
}
