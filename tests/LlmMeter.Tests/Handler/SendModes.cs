namespace LlmMeter.Tests.Handler;

/// <summary>The two ways a caller sends through HttpClient; every request-side test runs both.</summary>
public enum SendMode
{
    Async,
    Sync,
}

/// <summary>Sends and reads with <see cref="HttpClient.SendAsync(HttpRequestMessage)"/> or <see cref="HttpClient.Send(HttpRequestMessage)"/>.</summary>
public static class SendModes
{
    public static TheoryData<SendMode> Both => new() { SendMode.Async, SendMode.Sync };

    public static Task<HttpResponseMessage> SendAs(
        this HttpClient client,
        SendMode mode,
        HttpRequestMessage request,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        CancellationToken cancellationToken = default) =>
        mode == SendMode.Async ? client.SendAsync(request, completion, cancellationToken) : Run(() => client.Send(request, completion, cancellationToken));

    public static Task<HttpResponseMessage> PostAs(this HttpClient client, SendMode mode, string path, HttpContent content) =>
        client.SendAs(mode, new HttpRequestMessage(HttpMethod.Post, path) { Content = content });

    public static Task<HttpResponseMessage> PostAs(this HttpClient client, SendMode mode, Uri uri, HttpContent content) =>
        client.SendAs(mode, new HttpRequestMessage(HttpMethod.Post, uri) { Content = content });

    public static Task<string> ReadAs(this HttpResponseMessage response, SendMode mode) =>
        mode == SendMode.Async ? response.Content.ReadAsStringAsync() : Run(() => new StreamReader(response.Content.ReadAsStream()).ReadToEnd());

    public static Task<byte[]> ReadBytesAs(this HttpResponseMessage response, SendMode mode) =>
        mode == SendMode.Async ? response.Content.ReadAsByteArrayAsync() : Run(() =>
        {
            using var copy = new MemoryStream();
            response.Content.ReadAsStream().CopyTo(copy);
            return copy.ToArray();
        });

    // The synchronous call runs on the test's thread; its exception comes back in the task, as SendAsync's does.
    private static Task<T> Run<T>(Func<T> call)
    {
        try
        {
            return Task.FromResult(call());
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }
}
