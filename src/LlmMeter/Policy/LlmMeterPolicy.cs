using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmMeter.Policy.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmMeter.Policy;

/// <summary>
/// Budget-aware routing for <see cref="LlmMeterHandler"/>: polls the collector's <c>GET /v1/policy</c> in the
/// background and lets handlers decide per call, locally, whether to send it unchanged, with a cheaper model,
/// or not at all. Set it on <see cref="LlmMeterOptions.Policy"/>; one instance serves any number of handlers.
/// </summary>
public sealed class LlmMeterPolicy : IDisposable, IAsyncDisposable
{
    private readonly LlmMeterPolicyOptions? _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient? _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop = Task.CompletedTask;
    private EntityTagHeaderValue? _etag;
    private DateTimeOffset _lastSuccess;
    private int _disposed;

    /// <summary>Polls <paramref name="collector"/> with <paramref name="readKey"/> every 5 s.</summary>
    public LlmMeterPolicy(Uri collector, string? readKey)
        : this(new LlmMeterPolicyOptions { Collector = collector, ReadKey = readKey })
    {
    }

    /// <summary>Polls the collector as <paramref name="options"/> say.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public LlmMeterPolicy(LlmMeterPolicyOptions options, TimeProvider? timeProvider = null, ILogger? logger = null, HttpMessageHandler? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        State = new PolicyState(_time, options.IngestLag);
        _http = new HttpClient(transport ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: transport is null)
        {
            BaseAddress = new Uri(options.Collector!.ToString().TrimEnd('/') + "/"),
            Timeout = options.RequestTimeout,
        };
        _lastSuccess = _time.GetUtcNow();
        _loop = Task.Run(() => PollLoopAsync(_stop.Token));
    }

    private LlmMeterPolicy(RoutingPolicy policy, TimeProvider time)
    {
        _time = time;
        _logger = NullLogger.Instance;
        State = new PolicyState(time, TimeSpan.Zero);
        State.Apply(policy);
    }

    internal PolicyState State { get; }

    /// <summary>A fixed policy that is never polled: for tests, and for rules kept in the application's own configuration.</summary>
    public static LlmMeterPolicy Fixed(RoutingPolicy policy, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new LlmMeterPolicy(policy, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Fetches the policy now (also done in the background). Returns false when the collector could not be reached.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (_http is null)
        {
            return true;
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/policy", UriKind.Relative));
            if (!string.IsNullOrEmpty(_options!.ReadKey))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ReadKey);
            }

            if (_etag is { } etag)
            {
                request.Headers.IfNoneMatch.Add(etag);
            }

            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                State.Reapply();
                _lastSuccess = _time.GetUtcNow();
                return true;
            }

            if (!response.IsSuccessStatusCode)
            {
                PolicyLog.PollFailed(_logger, (int)response.StatusCode, null);
                return false;
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var policy = await JsonSerializer.DeserializeAsync(stream, LlmMeterPolicyJsonContext.Default.RoutingPolicy, cancellationToken).ConfigureAwait(false);
                if (policy is null)
                {
                    return false;
                }

                State.Apply(policy);
            }

            _etag = response.Headers.ETag;
            _lastSuccess = _time.GetUtcNow();
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            PolicyLog.PollFailed(_logger, 0, ex);
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _http?.Dispose();
        _stop.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _http?.Dispose();
        _stop.Dispose();
    }

    private async Task PollLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (!await RefreshAsync(stop).ConfigureAwait(false)
                && State.FetchedAt is not null
                && _time.GetUtcNow() - _lastSuccess > _options!.KeepLastPolicyFor)
            {
                PolicyLog.PolicyExpired(_logger, _options.KeepLastPolicyFor);
                State.Clear(); // Fail open: stale rules would block or downgrade on budgets that may have reset.
            }

            await Task.Delay(_options!.PollInterval, _time, stop).ConfigureAwait(false);
        }
    }

    private static void Validate(LlmMeterPolicyOptions options)
    {
        if (options.Collector is not { IsAbsoluteUri: true } collector || collector.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("LlmMeterPolicyOptions.Collector must be an absolute http(s) URL.", nameof(options));
        }

        if (options.PollInterval < TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentException("LlmMeterPolicyOptions.PollInterval must be at least 10 ms.", nameof(options));
        }

        if (options.KeepLastPolicyFor <= TimeSpan.Zero || options.IngestLag < TimeSpan.Zero || options.RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("LlmMeterPolicyOptions.KeepLastPolicyFor and RequestTimeout must be positive, IngestLag not negative.", nameof(options));
        }
    }
}
