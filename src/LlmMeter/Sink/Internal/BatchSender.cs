using System.Globalization;
using LlmMeter.Internal;
using LlmMeter.Telemetry.Internal;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Sink.Internal;

/// <summary>
/// Delivers batches so that one bad record never holds back or takes down the others, and accounts for every record
/// exactly once: sent, rejected (invalid, never resent) or failed (given up, refused, undelivered at shutdown).
/// <list type="bullet">
/// <item>Records a 2xx answer lists in <c>rejected</c> are counted by field; the rest were stored.</item>
/// <item>400/422 (an older collector refusing the whole request): the record its <c>index</c> names is rejected and
/// the rest resent at once; without an index the request is split in halves down to single records. 413: split.</item>
/// <item>Outages (no connection, timeouts, 408, 429, 503) are retried by the transport without limit.</item>
/// <item>Other 5xx for the same records <see cref="FailuresBeforeSplit"/> times: split; a single record is set aside
/// and retried with backoff while the queue goes on, and given up after <c>GiveUpRecordAfter</c>, but only while
/// the collector takes other records (when it takes nothing, it is an outage and nothing is given up).</item>
/// </list>
/// Used by the sink's loop only.
/// </summary>
internal sealed class BatchSender
{
    /// <summary>Server errors for the same records before they are split (or, for one record, set aside).</summary>
    private const int FailuresBeforeSplit = 3;

    /// <summary>Set-aside records retried per turn, so that many of them cannot hold the queue back.</summary>
    private const int RetriesPerTurn = 8;

    private readonly CollectorTransport _transport;
    private readonly LlmMeterMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Uri _collector;
    private readonly TimeSpan _maxRetryDelay;
    private readonly TimeSpan _giveUpAfter;
    private readonly Stack<Piece> _pending = new();
    private readonly Rejections _batchRejections;
    private readonly Rejections _retryRejections;
    private bool _isolating;

    // Whether the collector took the last records sent that were not set aside: set-aside records are only given up
    // while it does (when it takes nothing, their failures are an outage's, not theirs).
    private bool _accepting;

    // Server errors since the collector last took something: while it takes nothing, every send waits a backoff.
    private int _streak;

    public BatchSender(CollectorTransport transport, LlmMeterMetrics metrics, TimeProvider time, ILogger logger, Uri collector, TimeSpan maxRetryDelay, TimeSpan giveUpAfter)
    {
        _transport = transport;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _collector = collector;
        _maxRetryDelay = maxRetryDelay;
        _giveUpAfter = giveUpAfter;
        _batchRejections = new Rejections(metrics);
        _retryRejections = new Rejections(metrics);
        SetAside = new SetAsideRecords(time);
    }

    /// <summary>Records the collector kept failing when sent alone, waiting for their next attempt.</summary>
    public SetAsideRecords SetAside { get; }

    /// <summary>Records still undelivered when the shutdown deadline passed.</summary>
    public long Undelivered { get; private set; }

    /// <summary>Delivers <paramref name="batch"/> (the list is not kept), retrying set-aside records that are due in between.</summary>
    public async Task SendAsync(List<LlmCallRecord> batch)
    {
        _isolating = false;
        _pending.Push(new Piece(batch));
        while (_pending.TryPop(out var piece))
        {
            try
            {
                await SendAsync(piece).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Not expected; the piece is counted and the rest of the batch still goes.
                Lost(piece.Records.Count, ex);
            }
        }

        _batchRejections.Flush(_logger, _collector, batch.Count);
    }

    /// <summary>Retries the set-aside records whose wait is over (a few per turn).</summary>
    public async Task RetryDueAsync()
    {
        for (var i = 0; i < RetriesPerTurn && !_transport.Stopped && SetAside.TryTakeDue(out var entry); i++)
        {
            try
            {
                await RetryAsync(entry).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Lost(1, ex);
            }
        }
    }

    /// <summary>At shutdown: one last attempt for each set-aside record (within the deadline); the rest is undelivered.</summary>
    public async Task CloseAsync()
    {
        foreach (var entry in SetAside.TakeAll())
        {
            try
            {
                await RetryAsync(entry).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Lost(1, ex);
            }
        }

        foreach (var _ in SetAside.TakeAll())
        {
            Undeliver(1);
        }
    }

    private static string ErrorType(int status) => string.Create(CultureInfo.InvariantCulture, $"http_{status}");

    private async Task SendAsync(Piece piece)
    {
        await RetryDueAsync().ConfigureAwait(false);
        var records = piece.Records;
        if (!await _transport.PauseAsync(Pace()).ConfigureAwait(false))
        {
            Undeliver(records.Count);
            return;
        }

        var delivery = await _transport.DeliverAsync(records).ConfigureAwait(false);
        piece = piece with { Attempts = piece.Attempts + delivery.Attempts };
        switch (delivery.Status)
        {
            case DeliveryStatus.Delivered:
                Accepted();
                if (piece.Attempts > 1)
                {
                    Log.ExporterRecovered(_logger, _collector, records.Count, piece.Attempts);
                }

                Delivered(records, delivery, _batchRejections);
                break;
            case DeliveryStatus.Refused:
                Refused(records, delivery, _batchRejections);
                break;
            case DeliveryStatus.ServerError:
                ServerFailed(piece, delivery.StatusCode);
                break;
            default:
                Undeliver(records.Count);
                break;
        }
    }

    private async Task RetryAsync(SetAsideRecord entry)
    {
        // While the collector takes nothing, set-aside records wait their turn like everything else.
        if (!_accepting && !await _transport.PauseAsync(Pace()).ConfigureAwait(false))
        {
            SetAside.Add(entry);
            return;
        }

        var delivery = await _transport.DeliverAsync(entry.Records).ConfigureAwait(false);
        entry.Attempts += delivery.Attempts;
        entry.LastAttemptAt = _time.GetTimestamp();
        switch (delivery.Status)
        {
            case DeliveryStatus.Delivered:
                Accepted();
                Log.ExporterRecovered(_logger, _collector, 1, entry.Attempts);
                Delivered(entry.Records, delivery, _retryRejections);
                break;
            case DeliveryStatus.Refused:
                Refused(entry.Records, delivery, _retryRejections);
                break;
            case DeliveryStatus.ServerError:
                entry.Reason = ErrorType(delivery.StatusCode);
                if (!_accepting)
                {
                    _streak++;
                }
                else if (_time.GetElapsedTime(entry.SetAt, entry.LastAttemptAt) >= _giveUpAfter)
                {
                    _metrics.ExporterFailed(1, entry.Reason);
                    Log.ExporterGaveUp(_logger, _collector, entry.Reason, entry.Attempts, _time.GetElapsedTime(entry.SetAt, entry.LastAttemptAt));
                    break;
                }

                entry.Retries++;
                entry.Wait = Backoff.Delay(entry.Retries + 1, _maxRetryDelay);
                SetAside.Add(entry);
                break;
            default:
                SetAside.Add(entry); // Shutdown deadline: CloseAsync counts it.
                break;
        }

        _retryRejections.Flush(_logger, _collector, 1);
    }

    private void Delivered(List<LlmCallRecord> records, Delivery delivery, Rejections rejections)
    {
        foreach (var rejected in delivery.Rejected)
        {
            rejections.Add(rejected.Field);
        }

        if (records.Count > delivery.Rejected.Count)
        {
            _metrics.ExporterSent(records.Count - delivery.Rejected.Count);
        }
    }

    /// <summary>The collector refused the whole request: find the invalid records, or give up on a refusal that is not about them (401, 404...).</summary>
    private void Refused(List<LlmCallRecord> records, Delivery delivery, Rejections rejections)
    {
        var status = delivery.StatusCode;
        var problem = delivery.Problem;
        if (status is not (400 or 413 or 422))
        {
            _metrics.ExporterFailed(records.Count, ErrorType(status));
            Log.ExporterRefused(_logger, _collector, records.Count, status, problem?.Title, problem?.Detail);
            return;
        }

        if (records.Count == 1)
        {
            rejections.Add(status == 413 ? null : problem?.Field);
            return;
        }

        if (status != 413 && problem?.Index is { } index && index < records.Count)
        {
            rejections.Add(problem.Field);
            var rest = new List<LlmCallRecord>(records);
            rest.RemoveAt(index);
            _pending.Push(new Piece(rest));
            return;
        }

        Split(records);
    }

    private void ServerFailed(Piece piece, int status)
    {
        _accepting = false;
        _streak++;
        var failures = piece.Failures + 1;
        var reason = ErrorType(status);
        if (failures < FailuresBeforeSplit)
        {
            _pending.Push(piece with { Failures = failures });
            return;
        }

        var records = piece.Records;
        if (records.Count > 1)
        {
            if (!_isolating)
            {
                _isolating = true;
                Log.ExporterIsolating(_logger, _collector, reason, failures, records.Count);
            }

            Split(records);
            return;
        }

        SetAside.Add(new SetAsideRecord(records[0], reason, piece.Attempts, _time.GetTimestamp()) { Wait = Backoff.Delay(1, _maxRetryDelay) });
        Log.ExporterSetAside(_logger, _collector, reason, failures, _giveUpAfter);
    }

    /// <summary>Sends the first half, then the second: the order of records is kept.</summary>
    private void Split(List<LlmCallRecord> records)
    {
        var half = records.Count / 2;
        _pending.Push(new Piece(records.GetRange(half, records.Count - half)));
        _pending.Push(new Piece(records.GetRange(0, half)));
    }

    private TimeSpan Pace() => Backoff.Delay(_streak, _maxRetryDelay);

    private void Accepted()
    {
        _accepting = true;
        _streak = 0;
    }

    private void Undeliver(int count)
    {
        _metrics.ExporterFailed(count, "shutdown");
        Undelivered += count;
    }

    private void Lost(int count, Exception ex)
    {
        _metrics.ExporterFailed(count, ex.GetType().Name);
        Log.ExporterFailed(_logger, count, ex);
    }
}
