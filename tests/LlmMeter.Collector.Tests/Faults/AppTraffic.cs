using System.Collections.Concurrent;
using System.Text;

namespace LlmMeter.Collector.Tests.Faults;

/// <summary>
/// An application calling OpenRouter through <see cref="LlmMeterHandler"/> from several workers, each pausing
/// <c>pause</c> between calls, until stopped. Every record the handler makes is counted on its way to the sink;
/// every call that did not end in a 200 read to the end is kept as a failure.
/// </summary>
internal sealed class AppTraffic : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly RecordedSink _recorded;
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    public AppTraffic(Uri openRouter, ILlmCallSink sink, int workers, TimeSpan pause)
    {
        _recorded = new RecordedSink(sink);
        var options = new LlmMeterOptions { App = "outage-app", BaseAddress = openRouter, RefreshPriceCatalog = false };
        options.DefaultTags["team"] = "search";
        _client = new HttpClient(new LlmMeterHandler(options, _recorded) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = openRouter,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(pause)))];
    }

    /// <summary>Records the handler handed to the sink so far.</summary>
    public int Made => _recorded.Count;

    /// <summary>The ids of those records, in the order they were made.</summary>
    public IReadOnlyList<string> Ids => _recorded.Ids;

    /// <summary>Calls that failed for the application (an exception, or a status other than 200).</summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>Stops calling; returns once the calls in progress have ended (and their records were made).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan pause)
    {
        // A call in progress is never cancelled: stopping only ends the loop, so each call has its record.
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var content = new StringContent("""{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hi."}]}""", Encoding.UTF8, "application/json");
                using var response = await _client.PostAsync(new Uri("chat/completions", UriKind.Relative), content);
                var body = await response.Content.ReadAsStringAsync();
                if ((int)response.StatusCode != 200)
                {
                    _failures.Enqueue($"{(int)response.StatusCode}: {body}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                _failures.Enqueue(ex.Message);
            }

            try
            {
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Passes each record on, keeping its id.</summary>
    private sealed class RecordedSink(ILlmCallSink inner) : ILlmCallSink
    {
        private readonly ConcurrentQueue<string> _ids = new();

        public int Count => _ids.Count;

        public IReadOnlyList<string> Ids => [.. _ids];

        public void Record(LlmCallRecord call)
        {
            _ids.Enqueue(call.Id);
            inner.Record(call);
        }
    }
}
