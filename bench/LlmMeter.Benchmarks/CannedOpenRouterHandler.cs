using System.Net;
using System.Net.Http.Headers;

namespace LlmMeter.Benchmarks;

/// <summary>
/// The in-memory transport both clients share: no sockets, but a fresh response per call shaped like
/// SocketsHttpHandler's (response headers present, the body a one-shot network-like stream), and the
/// request body written out once, as a real transport sends it.
/// </summary>
internal sealed class CannedOpenRouterHandler : HttpMessageHandler
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private static readonly MediaTypeHeaderValue s_eventStream = new("text/event-stream");
    private static readonly byte[][] s_chat = [Payloads.ChatResponse];

    /// <summary>
    /// Serve the JSON answer as a <see cref="ByteArrayContent"/> instead. HttpClient treats that type as
    /// already buffered and skips the copy it makes of any real network body, so the bare baseline gets
    /// cheaper than any real call can be (the metered one still copies: its content is a wrapper).
    /// </summary>
    public bool ByteArrayBodies { get; init; }

    /// <summary>
    /// Force the answer shape (true: the SSE stream, false: the JSON body) for callers such as SDKs whose request
    /// bodies differ from <see cref="Payloads"/>; null tells them apart by the request's length.
    /// </summary>
    public bool? Streaming { get; init; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var streaming = false;
        if (request.Content is { } body)
        {
            // A real transport serialises the request; doing it here keeps the bare baseline honest.
            await body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            streaming = body.Headers.ContentLength == Payloads.StreamRequest.Length;
        }

        streaming = Streaming ?? streaming;

        HttpContent content;
        if (streaming)
        {
            content = new NetworkContent(Payloads.StreamEvents); // Chunked: no Content-Length.
            content.Headers.ContentType = s_eventStream;
        }
        else
        {
            content = ByteArrayBodies ? new ByteArrayContent(Payloads.ChatResponse) : new NetworkContent(s_chat);
            content.Headers.ContentType = s_json;
            content.Headers.ContentLength = Payloads.ChatResponse.Length;
        }

        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
        response.Headers.TryAddWithoutValidation("Server", "cloudflare"); // Real responses always carry headers.
        return response;
    }

    /// <summary>Like SocketsHttpHandler's response content: read once, through a stream, never pre-buffered.</summary>
    private sealed class NetworkContent(byte[][] segments) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            new SegmentStream(segments).CopyToAsync(stream);

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new SegmentStream(segments));

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Returns at most one segment (the JSON body, or one SSE event) per read, as they arrive off a socket.</summary>
    private sealed class SegmentStream(byte[][] segments) : Stream
    {
        private int _segment;
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_segment == segments.Length || buffer.IsEmpty)
            {
                return 0;
            }

            var current = segments[_segment].AsSpan(_offset);
            var n = Math.Min(current.Length, buffer.Length);
            current[..n].CopyTo(buffer);
            _offset += n;
            if (_offset == segments[_segment].Length)
            {
                _segment++;
                _offset = 0;
            }

            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
