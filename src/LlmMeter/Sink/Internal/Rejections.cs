using LlmMeter.Internal;
using LlmMeter.Record.Internal;
using LlmMeter.Telemetry.Internal;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Sink.Internal;

/// <summary>Counts rejected records by field as they come, and logs them once per batch (fields and counts only).</summary>
internal sealed class Rejections(LlmMeterMetrics metrics)
{
    private readonly SortedDictionary<string, int> _fields = new(StringComparer.Ordinal);
    private int _count;

    /// <param name="field">The field the collector named, as it wrote it (bounded here).</param>
    public void Add(string? field)
    {
        var tag = RecordFields.Tag(field);
        metrics.ExporterRejected(1, tag);
        _fields[tag] = _fields.GetValueOrDefault(tag) + 1;
        _count++;
    }

    /// <summary>Logs what was added since the last flush, if anything, out of <paramref name="of"/> records sent.</summary>
    public void Flush(ILogger logger, Uri collector, int of)
    {
        if (_count == 0)
        {
            return;
        }

        Log.ExporterRecordsRejected(logger, collector, _count, of, string.Join(", ", _fields.Select(f => f.Key + ": " + f.Value)));
        _fields.Clear();
        _count = 0;
    }
}
