namespace LlmMeter.Collector.Auth;

/// <summary>What an endpoint needs. The admin key is allowed everywhere.</summary>
internal enum KeyScope
{
    Ingest,
    Read,
    Admin,

    /// <summary>The Prometheus scrape (<c>/metrics</c>): the metrics key, or the read or admin key.</summary>
    Metrics,
}
