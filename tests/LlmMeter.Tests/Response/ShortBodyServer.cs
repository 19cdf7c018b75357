using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmMeter.Tests.Response;

/// <summary>
/// A socket on 127.0.0.1 that answers every request with fixed bytes and then closes the connection cleanly
/// (FIN, after reading the whole request): a response that breaks its own framing, the same way every time.
/// </summary>
internal sealed class ShortBodyServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ShortBodyServer(string answer)
    {
        _answer = Encoding.UTF8.GetBytes(answer);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/api/v1/");
        _loop = AcceptAsync();
    }

    public Uri BaseAddress { get; }

    public static ShortBodyServer Start(string answer) => new(answer);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = AnswerAsync(socket);
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                await ReadRequestAsync(socket);
                await socket.SendAsync(_answer);
                socket.Shutdown(SocketShutdown.Send);

                // Wait for the client to close its side, so nothing unread turns the close into a reset.
                var rest = new byte[1024];
                while (await socket.ReceiveAsync(rest) > 0)
                {
                }
            }
            catch (SocketException)
            {
                // The client went away first.
            }
        }
    }

    // Headers up to the blank line, then Content-Length bytes of body (the clients here always send one).
    private static async Task ReadRequestAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(received)) < 0)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                return;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var headers = Encoding.ASCII.GetString(received.ToArray(), 0, headerEnd);
        var length = headers.Split("\r\n")
            .Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(h => int.Parse(h["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        var body = received.Count - (headerEnd + 4);
        while (body < length)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                return;
            }

            body += read;
        }
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
