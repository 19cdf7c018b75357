using System.Net;
using LlmMeter.Record.Internal;

namespace LlmMeter.Response;

/// <summary>
/// Stands in for the response content: same headers, same bytes, read from the original content through a
/// <see cref="MeteredStream"/>, or copied by the original content into a <see cref="MeteredCopyTarget"/>.
/// Nothing is read ahead of the caller.
/// </summary>
internal sealed class MeteredContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly CallState _call;
    private CancellationToken _copyToken;
    private int _copying;

    public MeteredContent(HttpContent inner, CallState call)
    {
        _inner = inner;
        _call = call;
        foreach (var header in inner.Headers.NonValidated)
        {
            // The string overload for the usual single value: the IEnumerable one boxes the values and their enumerator.
            if (header.Value.Count == 1)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value.ToString());
            }
            else
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    // Buffering (HttpClient's default, ReadAsStringAsync, ReadAsByteArrayAsync) and CopyTo run the original
    // content's own copy into a metered destination: its exceptions reach the caller as they are.
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        BeginCopy(cancellationToken);
        try
        {
            await _inner.CopyToAsync(new MeteredCopyTarget(stream, _call), context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex, cancellationToken);
            throw;
        }
        finally
        {
            Volatile.Write(ref _copying, 0);
        }

        _call.OnEndOfBody();
    }

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        BeginCopy(cancellationToken);
        try
        {
            _inner.CopyTo(new MeteredCopyTarget(stream, _call), context, cancellationToken);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex, cancellationToken);
            throw;
        }
        finally
        {
            Volatile.Write(ref _copying, 0);
        }

        _call.OnEndOfBody();
    }

    private void BeginCopy(CancellationToken cancellationToken)
    {
        _copyToken = cancellationToken;
        Volatile.Write(ref _copying, 1);
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new MeteredStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _call);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex, cancellationToken);
            throw;
        }
    }

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken)
    {
        try
        {
            return new MeteredStream(_inner.ReadAsStream(cancellationToken), _call);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex, cancellationToken);
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // Content-Length, when the server sent one, is among the copied headers.
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // HttpClient's synchronous buffering cancels (its Timeout, the caller's token) by disposing the
            // content: that is the copy's cancellation, recorded before the read fails, not a dispose.
            if (Volatile.Read(ref _copying) != 0 && _copyToken.IsCancellationRequested)
            {
                _call.OnReadFailed(new OperationCanceledException(_copyToken), _copyToken);
            }

            _call.OnDisposed();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
