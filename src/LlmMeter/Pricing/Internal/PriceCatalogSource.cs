using LlmMeter.Internal;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Pricing.Internal;

/// <summary>
/// The catalog in force for one base address: a fixed one, a file loaded at start, and/or OpenRouter's
/// <c>/models</c> fetched in the background on first use and refreshed. Reads never wait for a fetch.
/// </summary>
internal sealed class PriceCatalogSource : IDisposable
{
    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromMinutes(1);

    private readonly Uri? _modelsUri;
    private readonly HttpClient? _http;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private volatile ModelPriceCatalog _current;
    private ITimer? _timer;
    private int _started;

    public PriceCatalogSource(ModelPriceCatalog initial, Uri? modelsUri, HttpClient? http, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _current = initial;
        _modelsUri = modelsUri;
        _http = http;
        _interval = interval;
        _time = time;
        _logger = logger;
    }

    /// <summary>The catalog now; starts the background fetch on first use.</summary>
    public ModelPriceCatalog Current
    {
        get
        {
            if (_modelsUri is not null && _started == 0 && Interlocked.Exchange(ref _started, 1) == 0)
            {
                // The timer fires at once, on the thread pool, so the caller's path never waits.
                _timer = _time.CreateTimer(static s => _ = ((PriceCatalogSource)s!).RefreshAsync(), this, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }

            return _current;
        }
    }

    /// <summary>Each model's latest cached share of the prompt, for the approximation of aborted streams.</summary>
    public CachedShareMemory CachedShares { get; } = new();

    /// <summary>Completes when the first fetch has ended (for tests and warm-up).</summary>
    public TaskCompletionSource FirstFetch { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static ModelPriceCatalog LoadFile(string path)
    {
        try
        {
            return ModelPriceCatalog.Parse(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new InvalidOperationException($"LlmMeter could not load the price catalog file '{path}': {ex.Message}", ex);
        }
    }

    public async Task RefreshAsync()
    {
        var next = _interval;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30), _time);
            using var response = await _http!.GetAsync(_modelsUri, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var fetched = await ModelPriceCatalog.ParseAsync(stream, cts.Token).ConfigureAwait(false);
                if (fetched.Count > 0)
                {
                    _current = fetched;
                }
            }

            Log.CatalogRefreshed(_logger, fetched: _current.Count, _modelsUri!);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or FormatException or IOException)
        {
            next = s_retryAfterFailure < _interval ? s_retryAfterFailure : _interval;
            Log.CatalogRefreshFailed(_logger, _modelsUri!, ex.Message);
        }
        finally
        {
            FirstFetch.TrySetResult();
        }

        try
        {
            _timer?.Change(next, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while fetching.
        }
    }

    public void Dispose() => _timer?.Dispose();
}
