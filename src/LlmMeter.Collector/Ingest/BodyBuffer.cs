using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// A request body read into one pooled array, never more than the limit plus one byte: the reading stops as
/// soon as the body is known to be too large, whether it came with a Content-Length or chunked.
/// </summary>
internal sealed class BodyBuffer : IDisposable
{
    private const int InitialChunkedSize = 64 * 1024;

    private byte[] _array;

    private BodyBuffer(byte[] array, int length, bool tooLarge)
    {
        _array = array;
        Length = length;
        TooLarge = tooLarge;
    }

    public int Length { get; }

    /// <summary>The body has more than the limit; <see cref="Span"/> then holds only its start.</summary>
    public bool TooLarge { get; }

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    public static async Task<BodyBuffer> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        // We count ourselves: the server's own limit (30 MB by default) would otherwise cut a larger configured one.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var limit = (int)Math.Min(maxBytes + 1, int.MaxValue);
        var initial = request.ContentLength is { } declared ? (int)Math.Min(declared + 1, limit) : Math.Min(InitialChunkedSize, limit);
        var array = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == array.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)array.Length * 2, limit));
                    array.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(array);
                    array = bigger;
                }

                var room = Math.Min(array.Length, limit) - length;
                var read = await request.Body.ReadAsync(array.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return new BodyBuffer(array, length, tooLarge: false);
                }

                length += read;
                if (length > maxBytes)
                {
                    return new BodyBuffer(array, length, tooLarge: true);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
    }

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }
}
