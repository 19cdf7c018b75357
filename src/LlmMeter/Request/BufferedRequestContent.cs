using System.Net;

namespace LlmMeter.Request;

/// <summary>
/// A request body held in memory in place of the caller's content: the same headers, the given bytes, and the
/// caller's content disposed with it (disposing the request still releases the caller's stream). Used where
/// <see cref="HttpContent"/> cannot buffer itself (the synchronous path) and for a rewritten body.
/// </summary>
internal sealed class BufferedRequestContent : HttpContent
{
    private readonly byte[] _body;
    private readonly HttpContent _original;

    /// <param name="body">The bytes that go out.</param>
    /// <param name="original">The content replaced; its headers are copied and it is disposed with this one.</param>
    /// <param name="sameBytes">True when <paramref name="body"/> is the original's bytes: an explicit Content-Length is kept as the caller set it.</param>
    public BufferedRequestContent(byte[] body, HttpContent original, bool sameBytes)
    {
        _body = body;
        _original = original;
        foreach (var header in original.Headers.NonValidated)
        {
            if (sameBytes || !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(_body).AsTask();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_body, cancellationToken).AsTask();

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.Write(_body);

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new MemoryStream(_body, writable: false));

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => new MemoryStream(_body, writable: false);

    protected override bool TryComputeLength(out long length)
    {
        length = _body.Length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _original.Dispose();
        }

        base.Dispose(disposing);
    }
}
