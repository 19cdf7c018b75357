using System.Collections.Concurrent;
using System.Text.Json;

namespace LlmMeter.Collector.Tests.Exporter;

/// <summary>
/// The sink's HTTP transport with a window on it: counts failed attempts, keeps the collector's answers, and can
/// lose the first answer after the collector committed the batch, as a connection dropped at the wrong time would.
/// </summary>
internal sealed class TransportProbe(bool loseFirstAnswer = false) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _requests;
    private int _failures;

    /// <summary>The (accepted, duplicates) of each 200 answer, lost ones included.</summary>
    public ConcurrentQueue<(int Accepted, int Duplicates)> Answers { get; } = new();

    /// <summary>Attempts that got no answer (connection refused, reset).</summary>
    public int Failures => Volatile.Read(ref _failures);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref _failures);
            throw;
        }

        if (response.IsSuccessStatusCode)
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            Answers.Enqueue((json.RootElement.GetProperty("accepted").GetInt32(), json.RootElement.GetProperty("duplicates").GetInt32()));
        }

        if (loseFirstAnswer && Interlocked.Increment(ref _requests) == 1)
        {
            response.Dispose();
            throw new HttpRequestException("The connection dropped before the answer arrived.");
        }

        return response;
    }
}
