using LlmMeter.Collector.Hosting;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Alerts;

/// <summary>What an attempt (or a decision not to attempt) leaves in the delivery row.</summary>
internal sealed record DeliveryOutcome(string Status, long? NextAttemptMs = null, int? StatusCode = null, string? Error = null);

/// <summary>
/// Sends the outbox's pending deliveries. A 2xx marks the row delivered at once (it is never picked again); timeouts,
/// network errors, 408, 429 (honouring Retry-After) and 5xx are retried with exponential backoff and jitter while
/// the next attempt falls within <c>Alerts:MaxDeliveryAge</c> after the event, else the row is expired; other
/// statuses fail it without retry.
/// Pending rows survive restarts: the next start resumes them. All timing goes through the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class AlertDeliveryWorker : BackgroundService
{
    private const int BatchSize = 32;
    private const int Parallelism = 4;

    // Also the longest sleep, so rows written by another process on the same file are found.
    private static readonly TimeSpan s_idle = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_minRetryAfter = TimeSpan.FromSeconds(1);

    private readonly SqliteAlertStore _store;
    private readonly WebhookEndpoints _endpoints;
    private readonly WebhookSender _sender;
    private readonly AlertSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertDeliveryWorker> _logger;
    private readonly AlertOptions _options;

    public AlertDeliveryWorker(
        SqliteAlertStore store,
        WebhookEndpoints endpoints,
        WebhookSender sender,
        AlertSignal signal,
        IOptions<CollectorOptions> options,
        TimeProvider time,
        ILogger<AlertDeliveryWorker> logger)
    {
        _store = store;
        _endpoints = endpoints;
        _sender = sender;
        _signal = signal;
        _time = time;
        _logger = logger;
        _options = options.Value.Alerts;
    }

    /// <summary>
    /// The wait after <paramref name="attempts"/> failed attempts: <c>InitialBackoff</c> doubled per further failure,
    /// ±20 % jitter (<paramref name="jitter"/> in [0, 1)), capped at <c>MaxBackoff</c>; a Retry-After wins when given.
    /// </summary>
    public static TimeSpan Backoff(AlertOptions options, long attempts, TimeSpan? retryAfter, double jitter)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (retryAfter is { } serverWait)
        {
            return serverWait < s_minRetryAfter ? s_minRetryAfter : serverWait;
        }

        var doublings = Math.Clamp(attempts - 1, 0, 40);
        var ticks = options.InitialBackoff.Ticks * Math.Pow(2, doublings) * (0.8 + (0.4 * jitter));
        return ticks >= options.MaxBackoff.Ticks ? options.MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.LogInformation(
            "Alert webhooks: {Count} endpoint(s) {Endpoints}; retried up to {MaxAge} after each event.",
            _endpoints.All.Count,
            string.Join(", ", _endpoints.All.Select(e => e.DisplayUrl)),
            _options.MaxDeliveryAge);
        while (!stoppingToken.IsCancellationRequested)
        {
            _signal.Reset();
            TimeSpan wait;
            try
            {
                wait = await RunPassAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // An unhandled exception would stop the collector; the rows are safe in the outbox, so try again soon.
                wait = _options.InitialBackoff;
                _logger.LogError(ex, "Alert delivery pass failed; retrying in {Wait}.", wait);
            }

            try
            {
                if (wait > TimeSpan.Zero)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    await Task.WhenAny(Task.Delay(wait, _time, cts.Token), _signal.Signalled).ConfigureAwait(false);
                    await cts.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends everything due; returns how long to sleep until the next row falls due.</summary>
    private async Task<TimeSpan> RunPassAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var due = await _store.DueAsync(_time.GetUtcNow().ToUnixTimeMilliseconds(), BatchSize, stoppingToken).ConfigureAwait(false);
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken };
            await Parallel.ForEachAsync(due, parallel, async (delivery, token) => await DeliverAsync(delivery, token).ConfigureAwait(false)).ConfigureAwait(false);
            if (due.Count < BatchSize)
            {
                break;
            }
        }

        var next = await _store.NextDueAsync(stoppingToken).ConfigureAwait(false);
        if (next is null)
        {
            return s_idle;
        }

        var wait = DateTimeOffset.FromUnixTimeMilliseconds(next.Value) - _time.GetUtcNow();
        return wait > s_idle ? s_idle : wait;
    }

    private async Task DeliverAsync(DueDelivery delivery, CancellationToken stoppingToken)
    {
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(delivery.AgeFromMs) + _options.MaxDeliveryAge;
        var now = _time.GetUtcNow();
        if (now > expiresAt)
        {
            _logger.LogWarning("Alert {EventId}: delivery {DeliveryId} expired after {Attempts} attempt(s).", delivery.EventId, delivery.Id, delivery.Attempts);
            await RecordAsync(delivery, new DeliveryOutcome(DeliveryStatus.Expired), attempted: false, now).ConfigureAwait(false);
            return;
        }

        var endpoint = _endpoints.ByHash(delivery.UrlHash);
        if (endpoint is null)
        {
            _logger.LogWarning("Alert {EventId}: delivery {DeliveryId} failed: its endpoint is no longer configured.", delivery.EventId, delivery.Id);
            var gone = new DeliveryOutcome(DeliveryStatus.Failed, Error: "endpoint no longer configured in Alerts:Webhooks");
            await RecordAsync(delivery, gone, attempted: false, now).ConfigureAwait(false);
            return;
        }

        var result = await _sender.SendAsync(endpoint, delivery, stoppingToken).ConfigureAwait(false);
        now = _time.GetUtcNow();
        DeliveryOutcome outcome;
        switch (result.Kind)
        {
            case AttemptKind.Delivered:
                outcome = new DeliveryOutcome(DeliveryStatus.Delivered, StatusCode: result.StatusCode);
                _logger.LogInformation("Alert {EventId} delivered to {Endpoint} (HTTP {Status}).", delivery.EventId, endpoint.DisplayUrl, result.StatusCode);
                break;
            case AttemptKind.Rejected:
                outcome = new DeliveryOutcome(DeliveryStatus.Failed, StatusCode: result.StatusCode, Error: result.Error);
                _logger.LogWarning("Alert {EventId} refused by {Endpoint}, not retried: {Error}", delivery.EventId, endpoint.DisplayUrl, result.Error);
                break;
            default:
                var next = now + Backoff(_options, delivery.Attempts + 1, result.RetryAfter, Random.Shared.NextDouble());
                // No attempt after the deadline: when the next one would fall after it, this was the last.
                outcome = next > expiresAt
                    ? new DeliveryOutcome(DeliveryStatus.Expired, StatusCode: result.StatusCode, Error: result.Error)
                    : new DeliveryOutcome(DeliveryStatus.Pending, next.ToUnixTimeMilliseconds(), result.StatusCode, result.Error);
                _logger.LogWarning(
                    "Alert {EventId} to {Endpoint} failed ({Error}); {Next}.",
                    delivery.EventId,
                    endpoint.DisplayUrl,
                    result.Error ?? $"HTTP {result.StatusCode}",
                    outcome.Status == DeliveryStatus.Pending ? $"retrying at {WebhookPayload.Time(DateTimeOffset.FromUnixTimeMilliseconds(outcome.NextAttemptMs!.Value))}" : "expired");
                break;
        }

        await RecordAsync(delivery, outcome, attempted: true, now).ConfigureAwait(false);
    }

    // Not cancellable: once a receiver answered 2xx the row must say so, even while the collector stops.
    private Task RecordAsync(DueDelivery delivery, DeliveryOutcome outcome, bool attempted, DateTimeOffset now) =>
        _store.RecordAsync(delivery.Id, outcome, attempted, now.ToUnixTimeMilliseconds(), CancellationToken.None);
}
