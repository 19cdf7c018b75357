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
        try
        {
            await _inner.CopyToAsync(new MeteredCopyTarget(stream, _call), context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex, cancellationToken);
            throw;
        }

        _call.OnEndOfBody();
    }

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        try
        {
            _inner.CopyTo(new MeteredCopyTarget(stream, _call), context, cancellationToken);
        }
        catch (Exception ex)
        {
            _call.OnReadFailed(ex, cancellationToken);
            throw;
        }

        _call.OnEndOfBody();
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
            _inner.Dispose();
            _call.OnDisposed();
        }

        base.Dispose(disposing);
    }
}
