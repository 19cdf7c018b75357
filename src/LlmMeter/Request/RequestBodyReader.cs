using System.Buffers;
using System.Text.Json;

namespace LlmMeter.Request;

/// <summary>
/// Reads <c>model</c>, <c>models</c>, <c>stream</c>, <c>provider</c> and the size of the prompt text from a request body in one
/// forward pass with <see cref="Utf8JsonReader"/> (no DOM). The bytes that go out are never changed: byte-array
/// contents are serialised again from their array; other contents are buffered first, by HttpContent itself on
/// the asynchronous path and into a <see cref="BufferedRequestContent"/> on the synchronous one (HttpContent has
/// no synchronous buffering). Either way the body can then be read again, by the policy's rewrite and by the
/// inner handler. A body that fails to buffer is replaced by a <see cref="FailedRequestContent"/> that fails
/// the send with the same exception.
/// </summary>
internal static class RequestBodyReader
{
    public const string NoBody = "request_body_missing";
    public const string NotJson = "request_body_not_json";
    public const string NotRead = "request_body_not_read";

    public static async ValueTask<RequestInfo> ReadAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not { } content)
        {
            return new RequestInfo { Warning = NoBody };
        }

        if (IsReplayable(content))
        {
            return ParseReplayable(content, cancellationToken); // In memory already: no I/O, no need for async.
        }

        try
        {
            // Makes any content (the OpenAI SDK's included) safe to read here and send afterwards.
#if NET9_0_OR_GREATER
            await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
#else
            await content.LoadIntoBufferAsync().ConfigureAwait(false);
#endif

            using var collector = new PooledBufferStream();
            await content.CopyToAsync(collector, cancellationToken).ConfigureAwait(false);
            return Parse(collector.WrittenSpan);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Unreadable(request, content, ex);
        }
    }

    public static RequestInfo Read(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not { } content)
        {
            return new RequestInfo { Warning = NoBody };
        }

        if (IsReplayable(content))
        {
            return ParseReplayable(content, cancellationToken);
        }

        byte[] body;
        try
        {
            using var collector = new PooledBufferStream();
            content.CopyTo(collector, null, cancellationToken);
            body = collector.WrittenSpan.ToArray();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Unreadable(request, content, ex);
        }

        // The caller's content is spent (a one-shot stream): its bytes go out from memory instead.
        request.Content = new BufferedRequestContent(body, content, sameBytes: true);
        return Parse(body);
    }

    /// <summary>True when the body was read: the policy may rewrite it.</summary>
    public static bool WasRead(RequestInfo info) => info.Warning is not (NoBody or NotRead);

    private static RequestInfo ParseReplayable(HttpContent content, CancellationToken cancellationToken)
    {
        using var collector = new PooledBufferStream();
        content.CopyTo(collector, null, cancellationToken);
        return Parse(collector.WrittenSpan);
    }

    // The content's own failure (or the caller's cancellation) resurfaces, unchanged, when the inner handler
    // sends it; the record just says the body could not be read.
    private static RequestInfo Unreadable(HttpRequestMessage request, HttpContent content, Exception failure)
    {
        request.Content = new FailedRequestContent(failure, content);
        return new RequestInfo { Warning = NotRead };
    }

    public static RequestInfo Parse(ReadOnlySpan<byte> body)
    {
        var info = new RequestInfo();
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                info.Warning = NotJson;
                return info;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    info.Model = reader.TokenType == JsonTokenType.String ? reader.GetString() : info.Model;
                    SkipValue(ref reader);
                }
                else if (reader.ValueTextEquals("models"u8))
                {
                    reader.Read();
                    info.Models = ReadStringArray(ref reader);
                }
                else if (reader.ValueTextEquals("provider"u8))
                {
                    reader.Read();
                    info.Providers = ReadProviderPreference(ref reader);
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    info.Stream = reader.TokenType == JsonTokenType.True;
                    SkipValue(ref reader);
                }
                else if (reader.ValueTextEquals("messages"u8) || reader.ValueTextEquals("prompt"u8) || reader.ValueTextEquals("input"u8)
                    || reader.ValueTextEquals("instructions"u8))
                {
                    reader.Read();
                    info.PromptChars += CountStringChars(ref reader);
                }
                else
                {
                    reader.Read();
                    SkipValue(ref reader);
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                info.Warning = NotJson;
            }
        }
        catch (JsonException)
        {
            info.Warning = NotJson;
        }

        return info;
    }

    private static bool IsReplayable(HttpContent content) => content is ByteArrayContent or ReadOnlyMemoryContent;

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
    }

    // provider routing preferences: "order" (tried first to last) wins over "only" (an allow-list).
    private static string[]? ReadProviderPreference(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            SkipValue(ref reader);
            return null;
        }

        string[]? order = null, only = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isOrder = reader.ValueTextEquals("order"u8);
            var isOnly = !isOrder && reader.ValueTextEquals("only"u8);
            reader.Read();
            if (isOrder)
            {
                order = ReadStringArray(ref reader);
            }
            else if (isOnly)
            {
                only = ReadStringArray(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return order ?? only;
    }

    private static string[]? ReadStringArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            SkipValue(ref reader);
            return null;
        }

        var list = new List<string>(4);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                list.Add(reader.GetString()!);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return [.. list];
    }

    // Sums the length of every string in a value (message contents, prompt parts); only the size is kept.
    private static long CountStringChars(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        }

        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return 0;
        }

        long total = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                total += reader.ValueSpan.Length;
            }
        }

        return total;
    }

    /// <summary>A write-only stream over a pooled buffer: collects the body without a heap copy.</summary>
    private sealed class PooledBufferStream : Stream
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
        private int _length;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_length + buffer.Length > _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + buffer.Length));
                _buffer.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }

            buffer.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (_length >= 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
                _length = -1;
            }

            base.Dispose(disposing);
        }
    }
}
