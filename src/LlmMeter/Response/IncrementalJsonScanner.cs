using System.Buffers;
using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>
/// Feeds a JSON body to an <see cref="IResponseScanner"/> piece by piece, as the caller reads it. Only the
/// unfinished token at the end of a piece is kept (in a pooled buffer), never the whole body.
/// </summary>
internal sealed class IncrementalJsonScanner : IDisposable
{
    /// <summary>One token (a very long completion text) larger than this stops the scan.</summary>
    public const int MaxPendingBytes = 16 * 1024 * 1024;

    private readonly IResponseScanner _scanner;
    private JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
    private byte[] _pending = [];
    private int _pendingLength;

    public IncrementalJsonScanner(IResponseScanner scanner) => _scanner = scanner;

    /// <summary>False once the pending token outgrew <see cref="MaxPendingBytes"/>.</summary>
    public bool Feed(ReadOnlySpan<byte> piece)
    {
        if (_pendingLength == 0)
        {
            var consumed = Scan(piece, isFinal: false);
            return Keep(piece[consumed..]);
        }

        Append(piece);
        var pending = _pending.AsSpan(0, _pendingLength);
        var used = Scan(pending, isFinal: false);
        pending[used..].CopyTo(_pending);
        _pendingLength -= used;
        return _pendingLength <= MaxPendingBytes;
    }

    public void Complete()
    {
        if (_pendingLength > 0)
        {
            Scan(_pending.AsSpan(0, _pendingLength), isFinal: true);
            _pendingLength = 0;
        }
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
        var reader = new Utf8JsonReader(data, isFinal, _state);
        _scanner.Scan(ref reader);
        _state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    private bool Keep(ReadOnlySpan<byte> rest)
    {
        if (!rest.IsEmpty)
        {
            Append(rest);
        }

        return _pendingLength <= MaxPendingBytes;
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
