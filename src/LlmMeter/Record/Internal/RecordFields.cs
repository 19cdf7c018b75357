using System.Collections.Frozen;

namespace LlmMeter.Record.Internal;

/// <summary>
/// The bounded values of a <c>field</c> label (the exporter's <c>llmmeter.exporter.rejected</c>, the collector's
/// <c>llmmeter_ingest_rejections_total</c>): a top-level field of the record's wire format, or <c>other</c>.
/// Whatever a peer writes, the label cannot grow without bound.
/// </summary>
internal static class RecordFields
{
    public const string Other = "other";

    // The wire names come from the serializer itself, so a new record field is known here without a second list.
    private static readonly FrozenSet<string> s_names = LlmMeterJsonContext.Default.LlmCallRecord.Properties
        .Select(p => p.Name)
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every top-level field name of the wire format.</summary>
    public static IEnumerable<string> Names => s_names;

    /// <summary>The tag for <paramref name="field"/>: <c>tags.team</c> and <c>tags[0]</c> count as <c>tags</c>.</summary>
    public static string Tag(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return Other;
        }

        var end = field.AsSpan().IndexOfAny('.', '[');
        var head = end < 0 ? field : field[..end];
        return s_names.TryGetValue(head, out var name) ? name : Other;
    }
}
