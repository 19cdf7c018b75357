using LlmMeter.Collector.Alerts;
using LlmMeter.Collector.Policy;

namespace LlmMeter.Collector.Hosting;

/// <summary>
/// Every setting of the collector, bound from configuration (appsettings.json, environment variables with the
/// <c>LLMMETER_</c> prefix such as <c>LLMMETER_Keys__Ingest</c>, and command-line <c>--Keys:Ingest=...</c>)
/// and validated at start: a bad value stops start-up with a message naming the setting.
/// </summary>
internal sealed class CollectorOptions
{
    public StoreOptions Store { get; set; } = new();

    public KeyOptions Keys { get; set; } = new();

    public IngestOptions Ingest { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    public ReconciliationOptions Reconciliation { get; set; } = new();

    public AlertOptions Alerts { get; set; } = new();

    public ReceiverOptions Receivers { get; set; } = new();
}

internal sealed class StoreOptions
{
    /// <summary><c>sqlite</c> (default) or, later, <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite file; its folder is created. Relative paths are relative to the working directory.</summary>
    public string SqlitePath { get; set; } = "./data/llmmeter.db";
}

/// <summary>Bearer keys (rules in <see cref="Auth.KeyRule"/>). With none configured, the collector only listens on loopback.</summary>
internal sealed class KeyOptions
{
    /// <summary>Allows <c>POST /v1/calls</c>.</summary>
    public string? Ingest { get; set; }

    /// <summary>Allows the read-only queries, the status page and <c>/metrics</c>.</summary>
    public string? Read { get; set; }

    /// <summary>Allows everything.</summary>
    public string? Admin { get; set; }

    /// <summary>Allows <c>GET /metrics</c> only: the key Prometheus scrapes with (optional; the read and admin keys work too).</summary>
    public string? Metrics { get; set; }

    public bool AnyConfigured => new[] { Ingest, Read, Admin, Metrics }.Any(key => Auth.KeyRule.Normalize(key) is not null);
}

internal sealed class IngestOptions
{
    public int MaxRecordsPerRequest { get; set; } = 5_000;

    public long MaxRequestBytes { get; set; } = 5 * 1024 * 1024;
}

internal sealed class MetricsOptions
{
    /// <summary>Distinct values kept per label; later new values are exported as <c>other</c>.</summary>
    public int MaxLabelValues { get; set; } = 200;
}

internal sealed class ReconciliationOptions
{
    /// <summary>OpenRouter key for <c>GET /api/v1/generation</c>; reconciliation is off without it. Also read from <c>OPENROUTER_API_KEY</c>.</summary>
    public string? OpenRouterApiKey { get; set; }

    public Uri OpenRouterBaseAddress { get; set; } = new("https://openrouter.ai/api/v1");

    /// <summary>How often the job looks for records to reconcile.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after a call a 404 (generation not yet available) is retried before giving up.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(1);

    public int BatchSize { get; set; } = 50;
}
