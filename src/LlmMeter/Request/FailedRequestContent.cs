using System.Net;
using System.Runtime.ExceptionServices;

namespace LlmMeter.Request;

/// <summary>
/// Stands in for a request body the meter failed to buffer (a one-shot stream that broke part-way is spent):
/// sending it throws the very exception the buffering met, so the inner handler reports the caller's
/// failure exactly as it would have without the meter, not "the stream was already consumed".
/// </summary>
internal sealed class FailedRequestContent : HttpContent
{
    private readonly ExceptionDispatchInfo _failure;
    private readonly HttpContent _original;

    public FailedRequestContent(Exception failure, HttpContent original)
    {
        _failure = ExceptionDispatchInfo.Capture(failure);
        _original = original;
        foreach (var header in original.Headers.NonValidated)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => Task.FromException(_failure.SourceException);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        Task.FromException(_failure.SourceException);

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) => _failure.Throw();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
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
