using LlmMeter.Collector.Store;

namespace LlmMeter.Collector.Metrics;

/// <summary>
/// The collector's Prometheus metrics, fed by ingest (only accepted records count) and reconciliation.
/// Registered as a singleton by <see cref="MetricsExtensions.AddCollectorMetrics"/>.
/// </summary>
internal sealed class CollectorMetrics
{
    /// <summary>Counts an insert's accepted records (requests, spend, tokens, durations, fallbacks) and its duplicates.</summary>
    public void OnIngested(IngestResult result)
    {
        _ = result; // TODO(metrics helper)
    }

    /// <summary>Counts records refused by validation (a whole request is refused when one record is bad).</summary>
    public void OnRejected(int count)
    {
        _ = count; // TODO(metrics helper)
    }

    /// <summary>A record's cost was reconciled: spend grows by the positive difference (counters cannot go down).</summary>
    public void OnCostReconciled(LlmCallRecord record, decimal? previousCost, decimal reconciledCost)
    {
        _ = (record, previousCost, reconciledCost); // TODO(metrics helper)
    }
}
