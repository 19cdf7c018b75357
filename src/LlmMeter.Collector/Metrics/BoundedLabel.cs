using System.Collections.Concurrent;
using LlmMeter.Record.Internal;

namespace LlmMeter.Collector.Metrics;

/// <summary>
/// Caps the distinct values of one label: the first <c>max</c> values pass through, later new ones become
/// <see cref="Other"/>, so a flood of model names or apps cannot grow the series count without bound.
/// Known values are found without a lock; only a value seen for the first time takes it. A value longer than
/// <see cref="MaxLength"/> is cut (ending in <see cref="RecordLimits.CutMarker"/>), so whatever was stored, a
/// scrape stays small.
/// </summary>
internal sealed class BoundedLabel
{
    public const string Other = "other";

    /// <summary>The longest label value: the longest a valid record's label source can be (a tag value), so only defence in depth cuts.</summary>
    public const int MaxLength = RecordLimits.MaxTagValueLength;

    private readonly ConcurrentDictionary<string, string> _known = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int _max;
    private int _count;

    public BoundedLabel(int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        _max = max;
    }

    /// <summary>The value to export for <paramref name="value"/>: itself (cut to <see cref="MaxLength"/>) while there is room, else <see cref="Other"/>.</summary>
    public string Bound(string value)
    {
        if (value.Length > MaxLength)
        {
            value = RecordLimits.Fit(value, MaxLength);
        }

        if (_known.TryGetValue(value, out var known))
        {
            return known;
        }

        lock (_gate)
        {
            if (_known.TryGetValue(value, out known))
            {
                return known;
            }

            if (_count >= _max)
            {
                // Not remembered: a flood of new values must not grow this dictionary either.
                return Other;
            }

            _known[value] = value;
            _count++;
            return value;
        }
    }
}
