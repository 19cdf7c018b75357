using System.Collections.Frozen;

namespace LlmMeter.Sink.Internal;

/// <summary>
/// The bounded values of the <c>field</c> tag of <c>llmmeter.exporter.rejected</c>: a top-level field of the
/// record's wire format, or <c>other</c>. Whatever the collector writes, the tag cannot grow without bound.
/// </summary>
internal static class RecordFields
{
    public const string Other = "other";

    // The wire names come from the serializer itself, so a new record field is known here without a second list.
    private static readonly FrozenSet<string> s_names = LlmMeterJsonContext.Default.LlmCallRecord.Properties
        .Select(p => p.Name)
        .ToFrozenSet(StringComparer.Ordinal);

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
