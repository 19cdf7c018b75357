using System.Text;
using LlmMeter.Collector.Budgets;

namespace LlmMeter.Collector.Alerts;

/// <summary>
/// <see cref="IAlertOutbox"/> on SQLite: the event (payload frozen now) and one delivery per subscribed webhook are
/// committed together, so a crash loses neither half; the unique dedupe key makes a repeat a no-op, also after a
/// restart. The delivery worker is woken at once rather than at its next scan.
/// </summary>
internal sealed class AlertOutbox : IAlertOutbox
{
    private readonly SqliteAlertStore _store;
    private readonly WebhookEndpoints _endpoints;
    private readonly AlertSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertOutbox> _logger;

    public AlertOutbox(SqliteAlertStore store, WebhookEndpoints endpoints, AlertSignal signal, TimeProvider time, ILogger<AlertOutbox> logger)
    {
        _store = store;
        _endpoints = endpoints;
        _signal = signal;
        _time = time;
        _logger = logger;
    }

    public async Task<bool> EnqueueAsync(BudgetEvent budgetEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(budgetEvent);
        ArgumentException.ThrowIfNullOrWhiteSpace(budgetEvent.DedupeKey, nameof(budgetEvent));
        if (!WebhookEndpoint.KnownEvents.Contains(budgetEvent.Type))
        {
            throw new ArgumentException($"Unknown alert event type '{budgetEvent.Type}'.", nameof(budgetEvent));
        }

        var now = _time.GetUtcNow();
        var id = Guid.CreateVersion7(now).ToString();
        var targets = _endpoints.All.Where(e => e.Receives(budgetEvent.Type)).ToList();
        var alert = new NewAlertEvent(
            id,
            budgetEvent.DedupeKey,
            budgetEvent.Type,
            budgetEvent.Status.Budget.Id,
            budgetEvent.At.ToUnixTimeMilliseconds(),
            now.ToUnixTimeMilliseconds(),
            Encoding.UTF8.GetString(WebhookPayload.Json(id, budgetEvent)),
            targets);
        if (!await _store.InsertAsync(alert, cancellationToken).ConfigureAwait(false))
        {
            _logger.LogDebug("Alert {DedupeKey} was already enqueued; not sent again.", budgetEvent.DedupeKey);
            return false;
        }

        _logger.LogInformation(
            "Alert {EventId} ({Type}, budget {BudgetId}) enqueued for {Endpoints} webhook(s).",
            id,
            budgetEvent.Type,
            budgetEvent.Status.Budget.Id,
            targets.Count);
        if (targets.Count > 0)
        {
            _signal.Set();
        }

        return true;
    }
}

/// <summary>Wakes the delivery worker when new deliveries are committed.</summary>
internal sealed class AlertSignal
{
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when <see cref="Set"/> is called after the last <see cref="Reset"/>.</summary>
    public Task Signalled => Volatile.Read(ref _current).Task;

    public void Set() => Volatile.Read(ref _current).TrySetResult();

    /// <summary>Called before the worker scans, so a signal during the scan still wakes the next wait.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _current);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }
}
