using System.Diagnostics.Metrics;
using System.Globalization;
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
/// records are dropped and counted (<c>llmmeter.exporter.dropped</c>). While the collector is down the current
/// batch is retried with backoff, without limit, so nothing is lost unless the buffer overflows; the collector
/// ignores records it already has, so a resent batch never duplicates. Disposing sends what is buffered, within
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
    private long _undelivered;
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
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues one record for the collector; drops and counts it when the buffer is full or the sink is disposed.</summary>
    public void Record(LlmCallRecord call)
    {
        if (call is null || _buffer.Writer.TryWrite(call))
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
        if (_undelivered > 0)
        {
            Log.ExporterUndelivered(_logger, _collector, _undelivered, _shutdownTimeout);
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
                var wait = reader.WaitToReadAsync();
                if (!wait.IsCompleted)
                {
                    if (!await wait.ConfigureAwait(false))
                    {
                        break;
                    }

                    since = _time.GetTimestamp();
                }
                else if (!wait.Result)
                {
                    break;
                }

                // Records already waiting arrived during the previous send: their interval started with it.
                await FillBatchAsync(reader, since).ConfigureAwait(false);
                since = _time.GetTimestamp();
                await SendAsync(0, _batch.Count).ConfigureAwait(false);
                _batch.Clear();
            }
        }
        catch (Exception ex)
        {
            // Not expected (SendAsync catches); without this the buffer would silently fill up.
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

            using var timeout = new CancellationTokenSource(remaining, _time);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                {
                    return; // Closed: flush now.
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendAsync(int start, int count)
    {
        Delivery delivery;
        try
        {
            delivery = await _transport.DeliverAsync(_batch, start, count).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _metrics.ExporterFailed(count, ex.GetType().Name);
            Log.ExporterFailed(_logger, count, ex);
            return;
        }

        switch (delivery.Status)
        {
            case DeliveryStatus.Delivered:
                _metrics.ExporterSent(count);
                break;
            case DeliveryStatus.Rejected when delivery.StatusCode == 413 && count > 1:
                // Too large for this collector's limit: halves go through, and only a single oversized record is lost.
                var half = count / 2;
                await SendAsync(start, half).ConfigureAwait(false);
                await SendAsync(start + half, count - half).ConfigureAwait(false);
                break;
            case DeliveryStatus.Rejected:
                _metrics.ExporterFailed(count, delivery.StatusCode.ToString(CultureInfo.InvariantCulture));
                Log.ExporterRejected(_logger, _collector, count, delivery.StatusCode, delivery.Title, delivery.Detail);
                break;
            default:
                _metrics.ExporterFailed(count, "shutdown");
                _undelivered += count;
                break;
        }
    }
}
