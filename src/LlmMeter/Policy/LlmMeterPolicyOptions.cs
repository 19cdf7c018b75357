namespace LlmMeter.Policy;

/// <summary>Settings of <see cref="LlmMeterPolicy"/>: where the collector is and how often to ask it.</summary>
public sealed class LlmMeterPolicyOptions
{
    /// <summary>The collector's root, e.g. <c>http://collector:5080/</c>. Required.</summary>
    public Uri? Collector { get; set; }

    /// <summary>The collector's read key (sent as a bearer token), or null when the collector has no keys.</summary>
    public string? ReadKey { get; set; }

    /// <summary>How often <c>GET /v1/policy</c> is polled (with <c>If-None-Match</c>). Default 5 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the last policy stays in force while the collector cannot be reached. Default 10 minutes; then no rule applies.</summary>
    public TimeSpan KeepLastPolicyFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a call's cost may take to reach the collector's figures (exporter batching and retries). Costs this
    /// recent are added on top of a newly fetched policy. Default 5 s.
    /// </summary>
    public TimeSpan IngestLag { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one poll. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
