using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmMeter.Internal;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LlmMeter.Sink.Internal;

/// <summary>
/// <c>POST {collector}/v1/calls</c> over one reused <see cref="HttpClient"/>. Outages (no connection, a timed-out
/// attempt, 408, 429, 503) are retried here by a Polly pipeline until the collector answers otherwise or the
/// shutdown timeout runs out: the collector can take nothing then, so there is nothing to isolate. Every other
/// answer goes back to <see cref="BatchSender"/>, which decides what to resend. The collector is idempotent by
/// record id, so resending records whose answer was lost never duplicates them. Used by one loop at a time.
/// </summary>
internal sealed class CollectorTransport : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _collector;
    private readonly Uri _ingestUri;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxRetryDelay;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ArrayBufferWriter<byte> _payload = new(16 * 1024);
    private readonly Utf8JsonWriter _json;

    // Normal attempts and pauses run under _hurry, cancelled when shutdown starts while the sender waits to retry
    // (its backoff may be long); it then goes on with a fresh, short backoff under _stop, the shutdown deadline.
    private readonly CancellationTokenSource _hurry = new();
    private readonly CancellationTokenSource _stop;
    private int _closing;
    private int _waiting;
    private int _attempts;
    private int _batchCount;

    public CollectorTransport(Uri collector, string? ingestKey, TimeSpan maxRetryDelay, TimeSpan requestTimeout, TimeProvider time, ILogger logger, HttpMessageHandler? handler)
    {
        _collector = collector;
        _ingestUri = IngestUri(collector);
        _time = time;
        _maxRetryDelay = maxRetryDelay;
        _logger = logger;
        _stop = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _json = new Utf8JsonWriter(_payload);

        // A caller's handler stays the caller's; ours is pooled with a bounded lifetime so DNS changes are seen.
        var ownsHandler = handler is null;
        handler ??= new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
        };
        _client = new HttpClient(handler, disposeHandler: ownsHandler)
        {
            Timeout = Timeout.InfiniteTimeSpan, // The pipeline times each attempt.

            // Room for a "rejected" list naming every record of a full batch; a larger answer would fail as an outage.
            MaxResponseContentBufferSize = 8 * 1024 * 1024,
        };
        if (ingestKey is not null)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ingestKey);
        }

        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = Backoff.First < maxRetryDelay ? Backoff.First : maxRetryDelay,
                MaxDelay = maxRetryDelay,
                ShouldHandle = static args => ValueTask.FromResult(IsOutage(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = OnRetry,
            })
            .AddTimeout(requestTimeout)
            .Build();
    }

    /// <summary>True once the shutdown deadline passed: nothing more is sent.</summary>
    public bool Stopped => _stop.IsCancellationRequested;

    /// <summary>Sends <paramref name="records"/> in one request, retrying while the collector is out.</summary>
    public async Task<Delivery> DeliverAsync(List<LlmCallRecord> records)
    {
        Serialize(records);
        var payload = _payload.WrittenMemory;
        _batchCount = records.Count;
        _attempts = 1;
        Interlocked.Exchange(ref _waiting, 0);
        while (true)
        {
            if (_stop.IsCancellationRequested)
            {
                return new Delivery(DeliveryStatus.Cancelled, _attempts);
            }

            var token = Volatile.Read(ref _closing) == 1 ? _stop.Token : _hurry.Token;
            try
            {
                using var response = await _pipeline.ExecuteAsync(
                    static (state, ct) => state.Transport.SendOnceAsync(state.Payload, ct),
                    (Transport: this, Payload: payload),
                    token).ConfigureAwait(false);
                return await ResultAsync(response, records.Count).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Shutdown began (or its deadline passed): the top of the loop decides.
            }
        }
    }

    /// <summary>
    /// Waits <paramref name="delay"/> before the sender's next attempt; cut short when shutdown begins (then at
    /// most the first backoff step). False when the shutdown deadline passed: send nothing more.
    /// </summary>
    public async Task<bool> PauseAsync(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            // Same handshake as OnRetry: whichever of shutdown and this wait comes second cuts the wait short.
            Interlocked.Exchange(ref _waiting, 1);
            var closing = Volatile.Read(ref _closing) == 1;
            if (closing && delay > Backoff.First)
            {
                delay = Backoff.First;
            }

            try
            {
                await Task.Delay(delay, _time, closing ? _stop.Token : _hurry.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutdown began or its deadline passed.
            }
        }

        return !_stop.IsCancellationRequested;
    }

    /// <summary>Stops normal retrying: what is still being sent gets until <paramref name="timeout"/>.</summary>
    public void BeginShutdown(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _closing, 1);
        _stop.Token.UnsafeRegister(static hurry => ((CancellationTokenSource)hurry!).Cancel(), _hurry);
        _stop.CancelAfter(timeout);
        if (Volatile.Read(ref _waiting) == 1)
        {
            _hurry.Cancel();
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _json.Dispose();
        _hurry.Dispose();
        _stop.Dispose();
    }

    private static Uri IngestUri(Uri collector)
    {
        // "http://host/prefix" is a folder here, not a file to replace.
        var root = collector.AbsoluteUri.EndsWith('/') ? collector : new Uri(collector.AbsoluteUri + "/");
        return new Uri(root, "v1/calls");
    }

    /// <summary>The collector cannot take anything now: no answer, a timed-out attempt, 408, 429 or 503.</summary>
    private static bool IsOutage(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable,
        _ => false,
    };

    private void Serialize(List<LlmCallRecord> records)
    {
        // One reused buffer: after the first batches it no longer grows, so a batch costs no allocation of its size.
        _payload.ResetWrittenCount();
        _json.Reset(_payload);
        _json.WriteStartArray();
        foreach (var record in records)
        {
            JsonSerializer.Serialize(_json, record, LlmMeterJsonContext.Default.LlmCallRecord);
        }

        _json.WriteEndArray();
        _json.Flush();
    }

    private async ValueTask<HttpResponseMessage> SendOnceAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _ingestUri) { Content = new ReadOnlyMemoryContent(payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Honours <c>Retry-After</c> (seconds or a date) on 429 and 503, up to the maximum delay; null keeps the backoff.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        if (response is not { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable, Headers.RetryAfter: { } retryAfter })
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - _time.GetUtcNow() : null);
        if (delay is not { } value)
        {
            return null;
        }

        return value < TimeSpan.Zero ? TimeSpan.Zero : value > _maxRetryDelay ? _maxRetryDelay : value;
    }

    private ValueTask OnRetry(OnRetryArguments<HttpResponseMessage> args)
    {
        _attempts = args.AttemptNumber + 2;
        var reason = args.Outcome.Exception is { } ex
            ? ex is TimeoutRejectedException ? "timed out" : ex.Message
            : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
        if (args.AttemptNumber == 0)
        {
            Log.ExporterRetrying(_logger, _collector, _batchCount, reason, args.RetryDelay);
        }
        else
        {
            Log.ExporterStillRetrying(_logger, _collector, _batchCount, reason, args.AttemptNumber + 1, args.RetryDelay);
        }

        // Shutdown and a retry may race: whichever comes second cuts the backoff short.
        Interlocked.Exchange(ref _waiting, 1);
        if (Volatile.Read(ref _closing) == 1)
        {
            _hurry.Cancel();
        }

        return default;
    }

    private async Task<Delivery> ResultAsync(HttpResponseMessage response, int count)
    {
        // Buffered already (ResponseContentRead): no further wait on the network.
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new Delivery(DeliveryStatus.Delivered, _attempts) { Rejected = CollectorAnswers.Rejected(body, count) };
        }

        return new Delivery(status >= 500 ? DeliveryStatus.ServerError : DeliveryStatus.Refused, _attempts)
        {
            StatusCode = status,
            Problem = status >= 500 ? null : CollectorAnswers.Problem(body),
        };
    }
}
