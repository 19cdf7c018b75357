using System.Threading.Channels;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// Refreshes the budget state on a timer (a period that ends without traffic, forecasts that age) and, after every
/// change and on that timer, enqueues the alert events the statuses call for into the <see cref="IAlertOutbox"/>, when
/// one is registered. A failed enqueue is tried again at the next evaluation.
/// </summary>
internal sealed class BudgetBackgroundService : BackgroundService
{
    /// <summary>How often the state is refreshed and the events re-evaluated without a change.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly BudgetState _state;
    private readonly BudgetEvents _events;
    private readonly IAlertOutbox? _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public BudgetBackgroundService(BudgetState state, IServiceProvider services, TimeProvider time, ILogger<BudgetBackgroundService> logger)
    {
        _state = state;
        _time = time;
        _logger = logger;
        _events = new BudgetEvents(time);
        // Registered by the alerts feature; without it budgets are still tracked, nothing is sent.
        _outbox = services.GetService<IAlertOutbox>();
        _state.Changed += Wake;
    }

    public override void Dispose()
    {
        _state.Changed -= Wake;
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _time.CreateTimer(_ => Tick(), null, Interval, Interval);
        Wake();
        try
        {
            while (await _wake.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                await EvaluateAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void Tick()
    {
        try
        {
            _state.Refresh();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Refreshing the budget state failed");
        }

        Wake();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        var statuses = _state.Current;
        _events.Retain(statuses.Select(s => s.Budget.Id));
        foreach (var status in statuses)
        {
            if (_outbox is null)
            {
                _events.Observed(status);
                continue;
            }

            foreach (var budgetEvent in _events.Pending(status))
            {
                try
                {
                    await _outbox.EnqueueAsync(budgetEvent, cancellationToken).ConfigureAwait(false);
                    _events.Enqueued(budgetEvent);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    _logger.LogError(ex, "Enqueueing alert event {Key} failed; it is tried again at the next evaluation", budgetEvent.DedupeKey);
                    break;
                }
            }
        }
    }
}
