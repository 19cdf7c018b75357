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

/// <summary>How a batch ended.</summary>
internal enum DeliveryStatus
{
    /// <summary>The collector answered 2xx: stored or already stored.</summary>
    Delivered,

    /// <summary>The collector refused it for good (4xx other than 408/429, 3xx).</summary>
    Rejected,

    /// <summary>Shut down before the collector took it.</summary>
    Cancelled,
}

/// <param name="Status">How the batch ended.</param>
/// <param name="StatusCode">The HTTP status of a rejection.</param>
/// <param name="Title">The rejection's ProblemDetails title, when the body had one.</param>
/// <param name="Detail">The rejection's ProblemDetails detail, when the body had one.</param>
internal readonly record struct Delivery(DeliveryStatus Status, int StatusCode = 0, string? Title = null, string? Detail = null);

/// <summary>
/// <c>POST {collector}/v1/calls</c> over one reused <see cref="HttpClient"/>, retried by a Polly pipeline until the
/// collector takes the batch, refuses it for good, or the shutdown timeout runs out. The collector is idempotent
/// by record id, so resending a batch whose answer was lost never duplicates it. Used by one loop at a time.
/// </summary>
internal sealed class CollectorTransport : IDisposable
{
    private const int MaxProblemTextLength = 300;
    private static readonly TimeSpan s_firstRetryDelay = TimeSpan.FromSeconds(1);

    private readonly HttpClient _client;
    private readonly Uri _collector;
    private readonly Uri _ingestUri;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxRetryDelay;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ArrayBufferWriter<byte> _payload = new(16 * 1024);
    private readonly Utf8JsonWriter _json;

    // Normal attempts run under _hurry, cancelled when shutdown starts while a batch is waiting to be retried
    // (its backoff may be long); the batch is then resent with a fresh backoff under _stop, the shutdown deadline.
    private readonly CancellationTokenSource _hurry = new();
    private readonly CancellationTokenSource _stop;
    private int _closing;
    private int _retrying;
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
            MaxResponseContentBufferSize = 1024 * 1024,
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
                Delay = s_firstRetryDelay < maxRetryDelay ? s_firstRetryDelay : maxRetryDelay,
                MaxDelay = maxRetryDelay,
                ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = OnRetry,
            })
            .AddTimeout(requestTimeout)
            .Build();
    }

    /// <summary>Sends <paramref name="count"/> records of <paramref name="batch"/> from <paramref name="start"/>, retrying transient failures.</summary>
    public async Task<Delivery> DeliverAsync(List<LlmCallRecord> batch, int start, int count)
    {
        Serialize(batch, start, count);
        var payload = _payload.WrittenMemory;
        _batchCount = count;
        _attempts = 1;
        Interlocked.Exchange(ref _retrying, 0);
        while (true)
        {
            if (_stop.IsCancellationRequested)
            {
                return new Delivery(DeliveryStatus.Cancelled);
            }

            var token = Volatile.Read(ref _closing) == 1 ? _stop.Token : _hurry.Token;
            try
            {
                using var response = await _pipeline.ExecuteAsync(
                    static (state, ct) => state.Transport.SendOnceAsync(state.Payload, ct),
                    (Transport: this, Payload: payload),
                    token).ConfigureAwait(false);
                return await ResultAsync(response, count).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Shutdown began (or its deadline passed): the top of the loop decides.
            }
        }
    }

    /// <summary>Stops normal retrying: what is still being sent gets until <paramref name="timeout"/>.</summary>
    public void BeginShutdown(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _closing, 1);
        _stop.Token.UnsafeRegister(static hurry => ((CancellationTokenSource)hurry!).Cancel(), _hurry);
        _stop.CancelAfter(timeout);
        if (Volatile.Read(ref _retrying) == 1)
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

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500,
        _ => false,
    };

    private void Serialize(List<LlmCallRecord> batch, int start, int count)
    {
        // One reused buffer: after the first batches it no longer grows, so a batch costs no allocation of its size.
        _payload.ResetWrittenCount();
        _json.Reset(_payload);
        _json.WriteStartArray();
        for (var i = start; i < start + count; i++)
        {
            JsonSerializer.Serialize(_json, batch[i], LlmMeterJsonContext.Default.LlmCallRecord);
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
        Interlocked.Exchange(ref _retrying, 1);
        if (Volatile.Read(ref _closing) == 1)
        {
            _hurry.Cancel();
        }

        return default;
    }

    private async Task<Delivery> ResultAsync(HttpResponseMessage response, int count)
    {
        if (response.IsSuccessStatusCode)
        {
            if (_attempts > 1)
            {
                Log.ExporterRecovered(_logger, _collector, count, _attempts);
            }

            return new Delivery(DeliveryStatus.Delivered);
        }

        var (title, detail) = await ProblemAsync(response).ConfigureAwait(false);
        return new Delivery(DeliveryStatus.Rejected, (int)response.StatusCode, title, detail);
    }

    /// <summary>The title and detail of a ProblemDetails body (already buffered), shortened for the log.</summary>
    private static async Task<(string? Title, string? Detail)> ProblemAsync(HttpResponseMessage response)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (Text(document.RootElement, "title"), Text(document.RootElement, "detail"))
                : (null, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }

        static string? Text(JsonElement problem, string name) =>
            problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } text
                ? text.Length > MaxProblemTextLength ? text[..MaxProblemTextLength] + "..." : text
                : null;
    }
}
