using System.Buffers;

namespace LlmMeter.Response;

/// <summary>
/// Incremental server-sent-events parser over exactly the bytes the caller reads: any split point, LF or
/// CRLF line ends, comment lines (<c>: OPENROUTER PROCESSING</c>) skipped, multi-line <c>data</c> joined,
/// <c>data: [DONE]</c> reported as the end.
/// </summary>
internal sealed class SseParser : IDisposable
{
    private byte[] _line = [];
    private int _lineLength;
    private byte[] _data = [];
    private int _dataLength;
    private bool _hasData;

    /// <summary>Receives complete events.</summary>
    public interface IEventHandler
    {
        void OnEvent(ReadOnlySpan<byte> data);

        void OnDone();
    }

    public void Feed(ReadOnlySpan<byte> chunk, IEventHandler handler)
    {
        while (!chunk.IsEmpty)
        {
            var lf = chunk.IndexOf((byte)'\n');
            if (lf < 0)
            {
                Append(ref _line, ref _lineLength, chunk);
                return;
            }

            var rest = chunk[(lf + 1)..];
            if (_lineLength == 0)
            {
                // Fast path, the usual shape: "data: {...}" and the blank line that ends the event arrive
                // together, so the event is handed over from the caller's buffer without a copy.
                if (!_hasData && TryDataValue(chunk[..lf], out var value) && BlankLineLength(rest) is var blank and > 0)
                {
                    Emit(value, handler);
                    chunk = rest[blank..];
                    continue;
                }

                OnLine(chunk[..lf], handler);
            }
            else
            {
                Append(ref _line, ref _lineLength, chunk[..lf]);
                OnLine(_line.AsSpan(0, _lineLength), handler);
                _lineLength = 0;
            }

            chunk = rest;
        }
    }

    /// <summary>The stream ended: a last line or event without its terminator still counts.</summary>
    public void Complete(IEventHandler handler)
    {
        if (_lineLength > 0)
        {
            OnLine(_line.AsSpan(0, _lineLength), handler);
            _lineLength = 0;
        }

        Dispatch(handler);
    }

    public void Dispose()
    {
        Return(ref _line);
        Return(ref _data);
    }

    private void OnLine(ReadOnlySpan<byte> line, IEventHandler handler)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.IsEmpty)
        {
            Dispatch(handler);
            return;
        }

        if (!TryDataValue(line, out var value))
        {
            return; // A comment (": OPENROUTER PROCESSING") or a field the meter does not need (event:, id:, retry:).
        }

        if (_hasData)
        {
            Append(ref _data, ref _dataLength, "\n"u8);
        }

        Append(ref _data, ref _dataLength, value);
        _hasData = true;
    }

    // "data: x", "data:x" or "data" (empty value); the line may still end with CR.
    private static bool TryDataValue(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!line.StartsWith("data"u8))
        {
            return false;
        }

        var rest = line[4..];
        if (!rest.IsEmpty && rest[^1] == (byte)'\r')
        {
            rest = rest[..^1];
        }

        if (!rest.IsEmpty)
        {
            if (rest[0] != (byte)':')
            {
                return false; // A field whose name only starts with "data".
            }

            rest = rest[1..];
            if (!rest.IsEmpty && rest[0] == (byte)' ')
            {
                rest = rest[1..];
            }
        }

        value = rest;
        return true;
    }

    // Length of a blank line ("\n" or "\r\n") at the start of the span, or 0.
    private static int BlankLineLength(ReadOnlySpan<byte> span) =>
        span.IsEmpty ? 0 : span[0] == (byte)'\n' ? 1 : span.Length > 1 && span[0] == (byte)'\r' && span[1] == (byte)'\n' ? 2 : 0;

    private static void Emit(ReadOnlySpan<byte> data, IEventHandler handler)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            handler.OnDone();
        }
        else
        {
            handler.OnEvent(data);
        }
    }

    private void Dispatch(IEventHandler handler)
    {
        if (!_hasData)
        {
            return;
        }

        var data = _data.AsSpan(0, _dataLength);
        _hasData = false;
        _dataLength = 0;
        Emit(data, handler);
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(buffer.Length * 2, 1024), length + bytes.Length));
            buffer.AsSpan(0, length).CopyTo(bigger);
            Return(ref buffer);
            buffer = bigger;
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    private static void Return(ref byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }
    }
}
