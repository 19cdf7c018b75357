namespace LlmMeter.Collector.Ingest;

/// <summary>
/// The answer to <c>POST /v1/calls</c> (200): records newly stored, records already stored (or repeated in the
/// request), and the records refused, in request order (always present, empty when none).
/// </summary>
internal sealed record IngestResponse(int Accepted, int Duplicates, IReadOnlyList<RejectedRecord> Rejected);
