using LlmMeter.Record.Internal;

namespace LlmMeter.Response;

/// <summary>
/// Passes the caller's reads through to the real response stream and shows the meter exactly the bytes
/// returned, nothing more. End of stream, read errors and disposal finish the call's record.
/// </summary>
internal sealed class MeteredStream : Stream
{
    private readonly Stream _inner;
    private readonly CallState _call;

    public MeteredStream(Stream inner, CallState call)
    {
        _inner = inner;
        _call = call;
    }

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override bool CanTimeout => _inner.CanTimeout;

    public override int ReadTimeout { get => _inner.ReadTimeout; set => _inner.ReadTimeout = value; }

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = _inner.Read(buffer);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex);
            throw;
        }

        Observe(buffer[..read], buffer.Length);
        return read;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<int> pending;
        try
        {
            pending = _inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex);
            throw;
        }

        // Data already buffered by the transport completes synchronously: no async state machine for it.
        if (pending.IsCompletedSuccessfully)
        {
            var read = pending.Result;
            Observe(buffer.Span[..read], buffer.Length);
            return new ValueTask<int>(read);
        }

        return AwaitRead(pending, buffer);
    }

    private async ValueTask<int> AwaitRead(ValueTask<int> pending, Memory<byte> buffer)
    {
        int read;
        try
        {
            read = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex);
            throw;
        }

        Observe(buffer.Span[..read], buffer.Length);
        return read;
    }

    // The inner stream's own copy (HttpClient's response streams have one) into a metered destination: the
    // same exceptions, messages included, as copying without the meter.
    public override void CopyTo(Stream destination, int bufferSize)
    {
        try
        {
            _inner.CopyTo(new MeteredCopyTarget(destination, _call), bufferSize);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex);
            throw;
        }

        _call.OnEndOfBody();
    }

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        try
        {
            await _inner.CopyToAsync(new MeteredCopyTarget(destination, _call), bufferSize, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex);
            throw;
        }

        _call.OnEndOfBody();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _call.OnDisposed();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        _call.OnDisposed();
        GC.SuppressFinalize(this);
    }

    private void Observe(ReadOnlySpan<byte> bytes, int requested)
    {
        try
        {
            if (!bytes.IsEmpty)
            {
                _call.OnBytes(bytes);
            }
            else if (requested > 0)
            {
                _call.OnEndOfBody(); // A zero-byte read of a non-empty buffer is the end of the body.
            }
        }
        catch (Exception ex)
        {
            // The meter's own failure never reaches the caller.
            _call.Core.MeterFailed(ex);
        }
    }
}
