namespace LlmMeter.Sink.Internal;

/// <summary>A batch, or a part of it split off to isolate records the collector fails on.</summary>
/// <param name="Records">The records, in recorded order.</param>
/// <param name="Failures">Server errors answered for exactly these records so far.</param>
/// <param name="Attempts">Requests sent for exactly these records so far, for the log.</param>
internal readonly record struct Piece(List<LlmCallRecord> Records, int Failures = 0, int Attempts = 0);
