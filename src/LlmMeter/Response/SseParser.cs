using System.Buffers;

namespace LlmMeter.Response;

/// <summary>
/// Incremental server-sent-events parser over exactly the bytes the caller reads: any split point, LF or
/// CRLF line ends, comment lines (<c>: OPENROUTER PROCESSING</c>) skipped, multi-line <c>data</c> joined,
/// <c>data: [DONE]</c> reported as the end. A line that continues past a read is not kept: its first bytes tell
/// whether it is data, and data goes to the event as it arrives. An event larger than
/// <see cref="ScanLimits.MaxKeptBytes"/> is handed over in parts rather than kept whole.
/// </summary>
internal sealed class SseParser : IDisposable
{
    // "data: " is the longest start that tells what a line is.
    private const int PrefixBytes = 6;

    private readonly byte[] _prefix = new byte[PrefixBytes];
    private int _prefixLength;
    private Line _line;
    private bool _heldCr;
    private byte[] _data = [];
    private int _dataLength;
    private bool _hasData;
    private bool _inParts;

    private enum Line : byte
    {
        /// <summary>At the start of a line, or within its first bytes (kept in <see cref="_prefix"/>).</summary>
        Start,

        /// <summary>In the value of a data line: bytes go to the event.</summary>
        Data,

        /// <summary>In a comment or a field the meter does not need: bytes are passed over.</summary>
        Other,
    }

    /// <summary>Receives complete events, or a large event in parts.</summary>
    public interface IEventHandler
    {
        void OnEvent(ReadOnlySpan<byte> data);

        /// <summary>The next bytes of an event too large to keep; <see cref="OnEventEnd"/> follows the last.</summary>
        void OnEventPart(ReadOnlySpan<byte> part);

        void OnEventEnd();

        void OnDone();
    }

    /// <summary>Bytes searched or copied: the measure of the parser's work.</summary>
    public long BytesExamined { get; private set; }

    /// <summary>Capacity of the buffer that keeps an event's data (bounded, whatever the event's size).</summary>
    public int KeptCapacity => _data.Length;

    public void Feed(ReadOnlySpan<byte> chunk, IEventHandler handler)
    {
        BytesExamined += chunk.Length;
        while (!chunk.IsEmpty)
        {
            switch (_line)
            {
                case Line.Data:
                    chunk = ContinueData(chunk, handler);
                    break;
                case Line.Other:
                    var lf = chunk.IndexOf((byte)'\n');
                    if (lf < 0)
                    {
                        return;
                    }

                    _line = Line.Start;
                    chunk = chunk[(lf + 1)..];
                    break;
                default:
                    chunk = StartLine(chunk, handler);
                    break;
            }
        }
    }

    /// <summary>The stream ended: a last line or event without its terminator still counts.</summary>
    public void Complete(IEventHandler handler)
    {
        if (_prefixLength > 0)
        {
            OnLine(_prefix.AsSpan(0, _prefixLength), handler);
            _prefixLength = 0;
        }

        _heldCr = false; // A data line's last CR is its line end.
        _line = Line.Start;
        Dispatch(handler);
    }

    public void Dispose()
    {
        if (_data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_data);
            _data = [];
        }
    }

    private ReadOnlySpan<byte> StartLine(ReadOnlySpan<byte> chunk, IEventHandler handler)
    {
        if (_prefixLength == 0)
        {
            var lf = chunk.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var rest = chunk[(lf + 1)..];
                // Fast path, the usual shape: "data: {...}" and the blank line that ends the event arrive
                // together, so the event is handed over from the caller's buffer without a copy.
                if (!_hasData && TryDataValue(WithoutCr(chunk[..lf]), out var value) && BlankLineLength(rest) is var blank and > 0)
                {
                    Emit(value, handler);
                    return rest[blank..];
                }

                OnLine(chunk[..lf], handler);
                return rest;
            }
        }

        // The line goes on past this read: its first bytes say whether it is data.
        var take = Math.Min(PrefixBytes - _prefixLength, chunk.Length);
        var end = chunk[..take].IndexOf((byte)'\n');
        if (end >= 0)
        {
            chunk[..end].CopyTo(_prefix.AsSpan(_prefixLength));
            var line = _prefix.AsSpan(0, _prefixLength + end);
            _prefixLength = 0;
            OnLine(line, handler);
            return chunk[(end + 1)..];
        }

        chunk[..take].CopyTo(_prefix.AsSpan(_prefixLength));
        _prefixLength += take;
        if (_prefixLength == PrefixBytes)
        {
            _prefixLength = 0;
            if (_prefix.AsSpan().StartsWith("data:"u8))
            {
                StartData(handler);
                _line = Line.Data;
                if (_prefix[5] != (byte)' ')
                {
                    ContinueData(_prefix.AsSpan(5), handler); // The value's first byte.
                }
            }
            else
            {
                _line = Line.Other; // A comment, another field, or a field whose name only starts with "data".
            }
        }

        return chunk[take..];
    }

    // Value bytes of a data line, up to its end; a CR at the end of a read waits to see whether LF follows.
    private ReadOnlySpan<byte> ContinueData(ReadOnlySpan<byte> chunk, IEventHandler handler)
    {
        var lf = chunk.IndexOf((byte)'\n');
        var part = lf < 0 ? chunk : chunk[..lf];
        if (_heldCr)
        {
            _heldCr = false;
            if (lf != 0)
            {
                AppendData("\r"u8, handler);
            }
        }

        if (lf < 0)
        {
            if (part[^1] == (byte)'\r')
            {
                _heldCr = true;
                part = part[..^1];
            }

            AppendData(part, handler);
            return default;
        }

        AppendData(WithoutCr(part), handler);
        _line = Line.Start;
        return chunk[(lf + 1)..];
    }

    // A complete line, without its LF.
    private void OnLine(ReadOnlySpan<byte> line, IEventHandler handler)
    {
        line = WithoutCr(line);
        if (line.IsEmpty)
        {
            Dispatch(handler);
            return;
        }

        if (!TryDataValue(line, out var value))
        {
            return; // A comment (": OPENROUTER PROCESSING") or a field the meter does not need (event:, id:, retry:).
        }

        StartData(handler);
        AppendData(value, handler);
    }

    private void StartData(IEventHandler handler)
    {
        if (_hasData)
        {
            AppendData("\n"u8, handler);
        }

        _hasData = true;
    }

    private static ReadOnlySpan<byte> WithoutCr(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == (byte)'\r' ? line[..^1] : line;

    // "data: x", "data:x" or "data" (empty value), the line's CR already removed.
    private static bool TryDataValue(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!line.StartsWith("data"u8))
        {
            return false;
        }

        var rest = line[4..];
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

        _hasData = false;
        if (_inParts)
        {
            _inParts = false;
            handler.OnEventEnd();
            return;
        }

        var data = _data.AsSpan(0, _dataLength);
        _dataLength = 0;
        Emit(data, handler);
    }

    private void AppendData(ReadOnlySpan<byte> bytes, IEventHandler handler)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (!_inParts && _dataLength + bytes.Length > ScanLimits.MaxKeptBytes)
        {
            // Too large to keep: what is kept goes first, the rest follows as it arrives.
            _inParts = true;
            if (_dataLength > 0)
            {
                handler.OnEventPart(_data.AsSpan(0, _dataLength));
                _dataLength = 0;
            }
        }

        if (_inParts)
        {
            handler.OnEventPart(bytes);
            return;
        }

        BytesExamined += bytes.Length;
        if (_dataLength + bytes.Length > _data.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(Math.Max(_data.Length * 2, 1024), _dataLength + bytes.Length), ScanLimits.MaxKeptBytes));
            _data.AsSpan(0, _dataLength).CopyTo(bigger);
            if (_data.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_data);
            }

            _data = bigger;
        }

        bytes.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += bytes.Length;
    }
}
