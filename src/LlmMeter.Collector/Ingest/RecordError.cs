namespace LlmMeter.Collector.Ingest;

/// <summary>
/// Why a whole body was refused (400, nothing stored): it is not JSON, not an array, or structurally broken.
/// The 0-based index of the record being read and its snake_case field, when known.
/// </summary>
internal sealed record RecordError(int? Index, string? Field, string Message);
