using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace LlmMeter.Collector.Tests.Hosting;

/// <summary>A response read off a raw socket: status, headers (lower-case names) and the body, de-chunked.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? ContentType => Headers.TryGetValue("content-type", out var value) ? value.Split(';')[0].Trim() : null;

    /// <summary>The body as JSON; fails the test when it is not.</summary>
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"{Status} {ContentType}: {Body}";
}

/// <summary>
/// HTTP/1.1 over a <see cref="TcpClient"/>, for what <see cref="HttpClient"/> will not send: broken chunked framing,
/// a body shorter than its Content-Length, a half-closed connection.
/// </summary>
internal static class RawHttp
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) and <paramref name="body"/> as given, then reads the answer.</summary>
    /// <param name="baseAddress">The collector.</param>
    /// <param name="head">e.g. <c>POST /v1/calls HTTP/1.1\r\nTransfer-Encoding: chunked</c>; Host and Connection are added.</param>
    /// <param name="body">The raw bytes after the headers.</param>
    /// <param name="endOfInput">Half-close the connection after the body (the client sends nothing more).</param>
    /// <returns>The response; null when the server closed the connection without one (Kestrel takes a half-close for a client that has gone).</returns>
    public static async Task<RawResponse?> SendAsync(Uri baseAddress, string head, byte[] body, bool endOfInput = false)
    {
        using var cancel = new CancellationTokenSource(s_timeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port, cancel.Token);
        var stream = tcp.GetStream();
        var request = $"{head}\r\nHost: {baseAddress.Authority}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancel.Token);
        await stream.WriteAsync(body, cancel.Token);
        await stream.FlushAsync(cancel.Token);
        if (endOfInput)
        {
            tcp.Client.Shutdown(SocketShutdown.Send);
        }

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancel.Token);
            }
            catch (IOException)
            {
                break; // The server reset the connection (after answering, or with nothing to say).
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            if (TryParse(received.ToArray(), out var complete))
            {
                return complete!;
            }
        }

        if (received.Length == 0)
        {
            return null;
        }

        Assert.True(TryParse(received.ToArray(), out var response), $"No complete HTTP response; received: {Encoding.UTF8.GetString(received.ToArray())}");
        return response!;
    }

    private static bool TryParse(byte[] data, out RawResponse? response)
    {
        response = null;
        var text = Encoding.Latin1.GetString(data);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim(), StringComparer.Ordinal);
        var rest = data.AsSpan(end + 4);
        byte[] body;
        if (headers.TryGetValue("content-length", out var length))
        {
            var count = int.Parse(length, CultureInfo.InvariantCulture);
            if (rest.Length < count)
            {
                return false;
            }

            body = rest[..count].ToArray();
        }
        else if (headers.TryGetValue("transfer-encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDechunk(rest, out body))
            {
                return false;
            }
        }
        else
        {
            return false; // Read to the end of the connection.
        }

        response = new RawResponse(status, headers, Encoding.UTF8.GetString(body));
        return true;
    }

    private static bool TryDechunk(ReadOnlySpan<byte> data, out byte[] body)
    {
        var output = new MemoryStream();
        body = [];
        while (true)
        {
            var lineEnd = data.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return false;
            }

            var size = int.Parse(Encoding.ASCII.GetString(data[..lineEnd]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            data = data[(lineEnd + 2)..];
            if (size == 0)
            {
                body = output.ToArray();
                return true;
            }

            if (data.Length < size + 2)
            {
                return false;
            }

            output.Write(data[..size]);
            data = data[(size + 2)..];
        }
    }
}
