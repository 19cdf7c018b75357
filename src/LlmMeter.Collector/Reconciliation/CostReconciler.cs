using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Metrics;
using LlmMeter.Collector.Store;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Reconciliation;

/// <summary>
/// Replaces estimated (or missing) costs with OpenRouter's authoritative <c>total_cost</c> from the generation
/// endpoint. Off without an OpenRouter key. Every <c>Reconciliation:Interval</c> it looks up at most
/// <c>BatchSize</c> candidates, oldest first. A 404 (generation not yet available) is retried for that id
/// with exponential backoff until <c>GiveUpAfter</c> has passed since the call started, then the record is
/// marked as given up. 429, 5xx and network errors back off the whole job (honouring Retry-After);
/// 401/403 stop the pass until the next interval. All waits use the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class CostReconciler : BackgroundService
{
    /// <summary>Local ids (no OpenRouter generation behind them) start with this.</summary>
    public const string LocalIdPrefix = "llmm-";

    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_maxJobBackoff = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan s_authErrorLogEvery = TimeSpan.FromHours(1);
    private const int MaxPagesPerPass = 20;

    private readonly ICallStore _store;
    private readonly CollectorMetrics _metrics;
    private readonly GenerationClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger<CostReconciler> _logger;
    private readonly ReconciliationOptions _options;

    // Only the single ExecuteAsync loop touches these.
    private readonly RetrySchedule _retries;
    private int _jobFailures;
    private DateTimeOffset? _authErrorLoggedAt;

    public CostReconciler(
        ICallStore store,
        CollectorMetrics metrics,
        GenerationClient client,
        IOptions<CollectorOptions> options,
        TimeProvider time,
        ILogger<CostReconciler> logger)
    {
        _store = store;
        _metrics = metrics;
        _client = client;
        _time = time;
        _logger = logger;
        _options = options.Value.Reconciliation;
        _retries = new RetrySchedule(FirstRetry(_options.Interval), s_maxRetry);
    }

    /// <summary>The first 404 retry: 2 s, or one interval when the job runs more often than that.</summary>
    public static TimeSpan FirstRetry(TimeSpan interval) => interval < s_firstRetry ? interval : s_firstRetry;

    /// <summary>The whole job's wait after <paramref name="failures"/> failed passes in a row: one interval, doubling, capped.</summary>
    public static TimeSpan JobBackoff(TimeSpan interval, int failures, TimeSpan? retryAfter)
    {
        var cap = interval > s_maxJobBackoff ? interval : s_maxJobBackoff;
        var wait = retryAfter ?? RetrySchedule.Exponential(interval, failures, cap);
        var floor = MinimumWait(interval);
        return wait < floor ? floor : wait > cap ? cap : wait;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_client.Enabled)
        {
            _logger.LogInformation(
                "Cost reconciliation is off: no OpenRouter key (set Reconciliation:OpenRouterApiKey or OPENROUTER_API_KEY to replace estimated costs with OpenRouter's).");
            return;
        }

        _logger.LogInformation(
            "Cost reconciliation is on: every {Interval}, up to {BatchSize} lookups at {BaseAddress}, giving up {GiveUpAfter} after a call.",
            _options.Interval,
            _options.BatchSize,
            _options.OpenRouterBaseAddress,
            _options.GiveUpAfter);

        while (!stoppingToken.IsCancellationRequested)
        {
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
                // Anything else (the store, an unexpected answer) must not end the job: an unhandled
                // exception in a BackgroundService stops the whole collector.
                _jobFailures++;
                wait = JobBackoff(_options.Interval, _jobFailures, retryAfter: null);
                _logger.LogError(ex, "Cost reconciliation pass failed; retrying in {Wait}.", wait);
            }

            try
            {
                // Task.Delay refuses more than ~49 days; a pass a day is the least this job does.
                await Task.Delay(wait > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : wait, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the candidates; returns how long to wait before the next.</summary>
    private async Task<TimeSpan> RunPassAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        _retries.Prune(now);
        // The margin keeps records just past their give-up time in view, so they get marked rather than dropped.
        var since = now - _options.GiveUpAfter - (2 * _options.Interval) - TimeSpan.FromMinutes(1);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lookups = 0;
        var reconciled = 0;

        // Candidates waiting for a retry are skipped, so page on past them rather than starve newer records.
        for (var page = 0; page < MaxPagesPerPass && lookups < _options.BatchSize; page++)
        {
            var candidates = await _store.GetReconcileCandidatesAsync(since, _options.BatchSize, cancellationToken).ConfigureAwait(false);
            var progressed = false;
            foreach (var candidate in candidates)
            {
                if (lookups >= _options.BatchSize)
                {
                    break;
                }

                if (!seen.Add(candidate.Id))
                {
                    continue;
                }

                progressed = true;
                var step = await ReconcileAsync(candidate, cancellationToken).ConfigureAwait(false);
                switch (step.Kind)
                {
                    case StepKind.Skipped:
                        break;
                    case StepKind.LookedUp:
                        lookups++;
                        reconciled += step.Reconciled ? 1 : 0;
                        break;
                    default:
                        LogPass(lookups, reconciled);
                        return step.Wait;
                }
            }

            if (candidates.Count < _options.BatchSize || !progressed)
            {
                break;
            }

            since = candidates[^1].StartedAt;
        }

        _jobFailures = 0;
        LogPass(lookups, reconciled);
        return NextWait(_time.GetUtcNow());
    }

    private async Task<Step> ReconcileAsync(ReconcileCandidate candidate, CancellationToken cancellationToken)
    {
        if (candidate.Id.StartsWith(LocalIdPrefix, StringComparison.Ordinal))
        {
            // No generation behind a local id: never looked up, and not offered again.
            await _store.MarkReconcileFailedAsync(candidate.Id, cancellationToken).ConfigureAwait(false);
            return Step.Skip;
        }

        if (!_retries.IsDue(candidate.Id, _time.GetUtcNow()))
        {
            return Step.Skip;
        }

        var result = await _client.LookupAsync(candidate.Id, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case LookupStatus.Found:
                await _store.SetReconciledCostAsync(candidate.Id, result.Cost, cancellationToken).ConfigureAwait(false);
                _retries.Forget(candidate.Id);
                if (await _store.GetCallAsync(candidate.Id, cancellationToken).ConfigureAwait(false) is { } record)
                {
                    _metrics.OnCostReconciled(record, candidate.CostUsd, result.Cost);
                }

                if (_authErrorLoggedAt is not null)
                {
                    _authErrorLoggedAt = null;
                    _logger.LogInformation("Cost reconciliation: OpenRouter accepts the key again.");
                }

                return Step.Looked(reconciled: true);

            case LookupStatus.NotYet:
                var now = _time.GetUtcNow();
                var giveUpAt = candidate.StartedAt + _options.GiveUpAfter;
                if (now >= giveUpAt)
                {
                    await _store.MarkReconcileFailedAsync(candidate.Id, cancellationToken).ConfigureAwait(false);
                    _retries.Forget(candidate.Id);
                    _logger.LogInformation(
                        "Cost reconciliation gave up on generation {Id}: still not available {GiveUpAfter} after the call (last status {Status}).",
                        candidate.Id,
                        _options.GiveUpAfter,
                        result.StatusCode);
                }
                else
                {
                    _retries.Failed(candidate.Id, now, giveUpAt);
                }

                return Step.Looked(reconciled: false);

            case LookupStatus.Unauthorized:
                LogUnauthorized(result.StatusCode);
                return Step.Stop(_options.Interval);

            default:
                _jobFailures++;
                var wait = JobBackoff(_options.Interval, _jobFailures, result.RetryAfter);
                _logger.LogWarning(
                    "Cost reconciliation: OpenRouter is unavailable (status {Status}); pausing the job for {Wait}.",
                    result.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none",
                    wait);
                return Step.Stop(wait);
        }
    }

    // A wrong key fails every lookup: said once, then at most hourly while it lasts.
    private void LogUnauthorized(int? status)
    {
        var now = _time.GetUtcNow();
        if (_authErrorLoggedAt is { } last && now - last < s_authErrorLogEvery)
        {
            return;
        }

        _authErrorLoggedAt = now;
        _logger.LogError(
            "Cost reconciliation: OpenRouter refused the key ({Status}); check Reconciliation:OpenRouterApiKey / OPENROUTER_API_KEY. Retrying every {Interval}.",
            status,
            _options.Interval);
    }

    private void LogPass(int lookups, int reconciled)
    {
        if (lookups > 0)
        {
            _logger.LogDebug("Cost reconciliation pass: {Lookups} lookups, {Reconciled} reconciled.", lookups, reconciled);
        }
    }

    // The next interval, or sooner when a 404 retry falls due before it.
    private TimeSpan NextWait(DateTimeOffset now)
    {
        var wait = _options.Interval;
        if (_retries.NextDue is { } due && due - now < wait)
        {
            wait = due - now;
        }

        var floor = MinimumWait(_options.Interval);
        return wait < floor ? floor : wait;
    }

    // Never spin: at least a second between passes (or one interval when shorter).
    private static TimeSpan MinimumWait(TimeSpan interval) => interval < TimeSpan.FromSeconds(1) ? interval : TimeSpan.FromSeconds(1);

    private enum StepKind
    {
        Skipped,
        LookedUp,
        StopPass,
    }

    private readonly record struct Step(StepKind Kind, bool Reconciled, TimeSpan Wait)
    {
        public static Step Skip => new(StepKind.Skipped, false, TimeSpan.Zero);

        public static Step Looked(bool reconciled) => new(StepKind.LookedUp, reconciled, TimeSpan.Zero);

        public static Step Stop(TimeSpan wait) => new(StepKind.StopPass, false, wait);
    }
}
