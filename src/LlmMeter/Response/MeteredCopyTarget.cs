using LlmMeter.Record.Internal;

namespace LlmMeter.Response;

/// <summary>
/// The destination of a copy the response content does itself (buffering, <c>CopyTo</c>): writes go straight
/// to the caller's stream and the meter sees each chunk once it is written. Copying through the content's own
/// code, instead of reading it through a <see cref="MeteredStream"/>, keeps every exception (a body shorter
/// than its Content-Length, a reset) exactly the one the caller gets without the meter.
/// </summary>
internal sealed class MeteredCopyTarget : Stream
{
    private readonly Stream _destination;
    private readonly CallState _call;

    public MeteredCopyTarget(Stream destination, CallState call)
    {
        _destination = destination;
        _call = call;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _destination.Write(buffer);
        Observe(buffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var pending = _destination.WriteAsync(buffer, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            // A memory buffer (HttpContent's own) completes at once: no async state machine for it.
            Observe(buffer.Span);
            return ValueTask.CompletedTask;
        }

        return AwaitWrite(pending, buffer);
    }

    public override void Flush() => _destination.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _destination.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask AwaitWrite(ValueTask pending, ReadOnlyMemory<byte> buffer)
    {
        await pending.ConfigureAwait(false);
        Observe(buffer.Span);
    }

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        try
        {
            _call.OnBytes(bytes);
        }
        catch (Exception ex)
        {
            // The meter's own failure never reaches the caller.
            _call.Core.MeterFailed(ex);
        }
    }
}
