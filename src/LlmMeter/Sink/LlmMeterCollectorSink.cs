using System.Diagnostics.Metrics;
using System.Threading.Channels;
using LlmMeter.Internal;
using LlmMeter.Sink.Internal;
using LlmMeter.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmMeter;

/// <summary>
/// Ships records to an LlmMeter collector (<c>POST {collector}/v1/calls</c>) in the background, in batches.
/// <see cref="Record"/> never blocks and never throws: records wait in a bounded buffer, and when it is full new
/// records are dropped and counted (<c>llmmeter.exporter.dropped</c>). Every recorded record ends up counted once:
/// sent (<c>llmmeter.exporter.sent</c>), rejected as invalid (<c>llmmeter.exporter.rejected</c>, by field, never
/// resent), failed (<c>llmmeter.exporter.failed</c>, by <c>error.type</c>) or dropped.
/// <list type="bullet">
/// <item>An outage (no connection, timeouts, 408, 429, 503) is retried with backoff without limit, so nothing is lost
/// unless the buffer overflows; <c>Retry-After</c> is honoured.</item>
/// <item>A bad record never costs the others: records the collector rejects are taken out and the rest delivered
/// (an older collector's 400 for a whole batch is resolved by its <c>index</c>, or by splitting the batch).</item>
/// <item>A batch that keeps failing with another 5xx is split until the record the collector fails on is alone; that
/// record is set aside and retried while the queue goes on, and given up after
/// <see cref="LlmMeterCollectorOptions.GiveUpRecordAfter"/> only if the collector takes other records meanwhile.</item>
/// </list>
/// The collector ignores records it already has, so a resent record never duplicates. Record order is kept, except
/// for set-aside records, which arrive later. Disposing sends what is buffered, within
/// <see cref="LlmMeterCollectorOptions.ShutdownTimeout"/>.
/// </summary>
/// <example>
/// <code>
/// await using var sink = new LlmMeterCollectorSink(new Uri("http://127.0.0.1:5080"), ingestKey);
/// var http = new HttpClient(new LlmMeterHandler(new LlmMeterOptions { App = "search" }, sink)
/// {
///     InnerHandler = new SocketsHttpHandler(),
/// });
/// </code>
/// </example>
public sealed class LlmMeterCollectorSink : ILlmCallSink, IDisposable, IAsyncDisposable
{
    private const long NeverLogged = long.MinValue;
    private static readonly TimeSpan s_dropLogInterval = TimeSpan.FromSeconds(10);

    private readonly Channel<LlmCallRecord> _buffer;
    private readonly CollectorTransport _transport;
    private readonly BatchSender _sender;
    private readonly LlmMeterMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Uri _collector;
    private readonly int _capacity;
    private readonly int _batchSize;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _shutdownTimeout;
    private readonly List<LlmCallRecord> _batch;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private long _droppedUnlogged;
    private long _lastDropLog = NeverLogged;
    private int _disposing;

    /// <summary>Creates a sink with the default settings.</summary>
    /// <param name="collector">The collector's root, such as <c>http://127.0.0.1:5080</c>.</param>
    /// <param name="ingestKey">The collector's ingest key.</param>
    /// <exception cref="OptionsValidationException">An argument is invalid.</exception>
    public LlmMeterCollectorSink(Uri collector, string ingestKey)
        : this(new LlmMeterCollectorOptions { Collector = collector, IngestKey = ingestKey })
    {
    }

    /// <summary>Creates a sink.</summary>
    /// <param name="options">The settings, read once here.</param>
    /// <param name="timeProvider">The clock of batching, retries and the shutdown timeout; the system clock when null.</param>
    /// <param name="meterFactory">Where the <c>llmmeter.exporter.*</c> counters go; a process-wide meter when null.</param>
    /// <param name="logger">Where delivery problems are logged (counts and statuses only, never records or the key).</param>
    /// <param name="transport">The HTTP handler to send through (not disposed by the sink); a pooled <see cref="SocketsHttpHandler"/> when null.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public LlmMeterCollectorSink(
        LlmMeterCollectorOptions options,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        ILogger? logger = null,
        HttpMessageHandler? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        LlmMeterCollectorOptionsValidator.ThrowIfInvalid(options);
        _time = timeProvider ?? TimeProvider.System;
        _metrics = meterFactory is null ? LlmMeterMetrics.Shared : new LlmMeterMetrics(meterFactory);
        _logger = logger ?? NullLogger.Instance;
        _collector = options.Collector!;
        _capacity = options.BufferCapacity;
        _batchSize = options.BatchSize;
        _flushInterval = options.FlushInterval;
        _shutdownTimeout = options.ShutdownTimeout;
        _batch = new List<LlmCallRecord>(_batchSize);

        // Wait mode only so that TryWrite reports a full buffer (DropWrite would claim success); nothing ever waits.
        _buffer = Channel.CreateBounded<LlmCallRecord>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _transport = new CollectorTransport(_collector, options.IngestKey, options.MaxRetryDelay, options.RequestTimeout, _time, _logger, transport);
        _sender = new BatchSender(_transport, _metrics, _time, _logger, _collector, options.MaxRetryDelay, options.GiveUpRecordAfter);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues one record for the collector; drops and counts it when the buffer is full or the sink is disposed.</summary>
    public void Record(LlmCallRecord call)
    {
        if (call is null)
        {
            return;
        }

        // Set-aside records count against the buffer's bound too (read only when there are any: rare).
        var setAside = _sender.SetAside.Count;
        if ((setAside == 0 || _buffer.Reader.Count + setAside < _capacity) && _buffer.Writer.TryWrite(call))
        {
            return;
        }

        Dropped();
    }

    /// <summary>Stops taking records, sends what is buffered (within the shutdown timeout), then releases the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) == 1)
        {
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        _buffer.Writer.TryComplete();
        _transport.BeginShutdown(_shutdownTimeout);
        await _loop.ConfigureAwait(false);
        if (_sender.Undelivered > 0)
        {
            Log.ExporterUndelivered(_logger, _collector, _sender.Undelivered, _shutdownTimeout);
        }

        if (Interlocked.Exchange(ref _droppedUnlogged, 0) is > 0 and var dropped)
        {
            Log.ExporterDropped(_logger, dropped, _capacity);
        }

        _transport.Dispose();
        _disposed.TrySetResult();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Dropped()
    {
        _metrics.ExporterDropped();
        Interlocked.Increment(ref _droppedUnlogged);

        // At most one log line per interval, written by whichever caller wins the race; the others only count.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if ((last != NeverLogged && _time.GetElapsedTime(last, now) < s_dropLogInterval)
            || Interlocked.CompareExchange(ref _lastDropLog, now, last) != last)
        {
            return;
        }

        try
        {
            Log.ExporterDropped(_logger, Interlocked.Exchange(ref _droppedUnlogged, 0), _capacity);
        }
        catch (Exception)
        {
            // A failing logger must not reach the metered call.
        }
    }

    private async Task RunAsync()
    {
        var reader = _buffer.Reader;
        var since = _time.GetTimestamp();
        try
        {
            while (true)
            {
                await _sender.RetryDueAsync().ConfigureAwait(false);

                // Records already waiting arrived during the previous send: their interval started with it.
                if (!reader.TryPeek(out _))
                {
                    var ready = await WaitForRecordsAsync(reader, null).ConfigureAwait(false);
                    if (ready is null)
                    {
                        continue; // A set-aside record is due.
                    }

                    if (ready == false)
                    {
                        break; // Closed and drained.
                    }

                    since = _time.GetTimestamp();
                }

                await FillBatchAsync(reader, since).ConfigureAwait(false);
                since = _time.GetTimestamp();
                if (_batch.Count > 0)
                {
                    await _sender.SendAsync(_batch).ConfigureAwait(false);
                }

                _batch.Clear();
            }

            await _sender.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not expected (the sender catches); without this the buffer would silently fill up.
            Log.ExporterFailed(_logger, _batch.Count, ex);
        }
    }

    /// <summary>Takes records until the batch is full, the flush interval since <paramref name="since"/> passed, or the sink closed.</summary>
    private async Task FillBatchAsync(ChannelReader<LlmCallRecord> reader, long since)
    {
        while (true)
        {
            while (_batch.Count < _batchSize && reader.TryRead(out var record))
            {
                _batch.Add(record);
            }

            var remaining = _flushInterval - _time.GetElapsedTime(since);
            if (_batch.Count >= _batchSize || remaining <= TimeSpan.Zero)
            {
                return;
            }

            var ready = await WaitForRecordsAsync(reader, remaining).ConfigureAwait(false);
            if (ready == false)
            {
                return; // Closed: flush now.
            }

            if (ready is null)
            {
                // The interval ran out, or a set-aside record's turn came first.
                await _sender.RetryDueAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits for records: true when some are waiting, false when the buffer is closed and empty, null when
    /// <paramref name="limit"/> passed or a set-aside record is due first.
    /// </summary>
    private async Task<bool?> WaitForRecordsAsync(ChannelReader<LlmCallRecord> reader, TimeSpan? limit)
    {
        if (_sender.SetAside.UntilNextDue() is { } due && (limit is null || due < limit))
        {
            limit = due;
        }

        if (limit is not { } wait)
        {
            return await reader.WaitToReadAsync().ConfigureAwait(false);
        }

        if (wait <= TimeSpan.Zero)
        {
            return null;
        }

        using var timeout = new CancellationTokenSource(wait, _time);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
