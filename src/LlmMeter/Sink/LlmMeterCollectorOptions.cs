namespace LlmMeter;

/// <summary>
/// Settings of a <see cref="LlmMeterCollectorSink"/>: where the collector is, its ingest key, and how records are
/// buffered, batched, retried and given up. Validated when the sink is built.
/// </summary>
public sealed class LlmMeterCollectorOptions
{
    /// <summary>The collector's root, such as <c>http://127.0.0.1:5080</c>; records go to <c>POST {Collector}/v1/calls</c>. Required.</summary>
    public Uri? Collector { get; set; }

    /// <summary>
    /// The collector's ingest key, sent as <c>Authorization: Bearer</c>. Null only for a collector without keys
    /// (which listens on loopback only). Never logged.
    /// </summary>
    public string? IngestKey { get; set; }

    /// <summary>Records held while they wait to be sent (or while the collector is down). When full, new records are dropped and counted. Default 100,000.</summary>
    public int BufferCapacity { get; set; } = 100_000;

    /// <summary>Records per request, at most 5,000 (the collector's default limit). Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>A batch is sent when it is full or this long after its first record was queued. Default one second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait between two attempts (exponential backoff with jitter up to it; a collector's
    /// <c>Retry-After</c> is honoured up to it). While the collector is unreachable or answers 503/429 for
    /// everything, batches are retried without limit while the sink runs. Default 30 seconds.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a record the collector keeps failing (500, 502, 504... for it while it takes other records) is
    /// retried before it is given up and counted in <c>llmmeter.exporter.failed</c>. The other records flow
    /// meanwhile. A record is never given up while the collector takes nothing (an outage). Default 10 minutes.
    /// </summary>
    public TimeSpan GiveUpRecordAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Timeout of one attempt; a timed-out attempt is retried. Default 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposing the sink may take to send what is still buffered; what is left then is dropped and counted. Default 10 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
