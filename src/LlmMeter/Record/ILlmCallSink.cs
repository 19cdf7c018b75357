namespace LlmMeter;

/// <summary>
/// Receives every finished record. Called exactly once per metered call, on the thread that
/// finished the call (usually the caller's): it must not block. Exceptions are swallowed and
/// counted in <c>llmmeter.client.sink_errors</c>.
/// </summary>
public interface ILlmCallSink
{
    /// <summary>Takes one finished record.</summary>
    void Record(LlmCallRecord call);
}
