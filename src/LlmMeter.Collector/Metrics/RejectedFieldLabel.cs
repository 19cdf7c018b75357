using LlmMeter.Record.Internal;

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
    public const string Other = RecordFields.Other;

    public static IEnumerable<string> Known => RecordFields.Names;

    // The record's field set and the label rule live in the library, shared with the exporter's counter.
    public static string Of(string? field) => field is null ? None : RecordFields.Tag(field);
}
