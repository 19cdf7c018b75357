using System.Text.Json.Serialization;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// One record refused by an otherwise accepted request: its 0-based position in the request (array element or
/// n-th non-blank NDJSON line), its id when it could be read (and is itself valid), the snake_case top-level field
/// at fault (null when the record is not an object or not readable), and why.
/// </summary>
internal sealed record RejectedRecord(
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Field,
    string Message);
