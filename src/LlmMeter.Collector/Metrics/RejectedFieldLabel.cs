using System.Collections.Frozen;

namespace LlmMeter.Collector.Metrics;

/// <summary>
/// The <c>field</c> label of <c>llmmeter_ingest_rejections_total</c>, from a fixed set so a flood of bad records
/// cannot grow the series: a record field (its snake_case JSON name), <see cref="None"/>, <see cref="Body"/>,
/// else <see cref="Other"/>.
/// </summary>
internal static class RejectedFieldLabel
{
    /// <summary>The record was not an object or could not be read.</summary>
    public const string None = "none";

    /// <summary>The whole body was refused (400); each of its records counts once.</summary>
    public const string Body = "body";

    /// <summary>A field name outside the record's own.</summary>
    public const string Other = "other";

    // Maps to the constant names, so no request's string is kept by the metrics.
    private static readonly FrozenDictionary<string, string> s_fields = LlmMeterJsonContext.Default.LlmCallRecord.Properties
        .Select(p => p.Name)
        .ToFrozenDictionary(name => name, name => name, StringComparer.Ordinal);

    public static IEnumerable<string> Known => s_fields.Values;

    public static string Of(string? field) =>
        field is null ? None : s_fields.TryGetValue(field, out var known) ? known : Other;
}
