namespace LlmMeter.Response.Responses;

/// <summary>
/// A Responses API <c>status</c> in chat completions' finish-reason vocabulary, so that both endpoints read alike:
/// <c>completed</c> is <c>stop</c> (<c>tool_calls</c> when a function was called), <c>incomplete</c> is <c>length</c>
/// for <c>max_output_tokens</c> (else its reason, e.g. <c>content_filter</c>), <c>failed</c> is <c>error</c>.
/// </summary>
internal static class ResponsesFinishReason
{
    /// <summary>The finish reason of a terminal status; null while the response is queued or in progress.</summary>
    public static string? From(string? status, string? incompleteReason, bool calledTool) => status switch
    {
        "completed" => calledTool ? "tool_calls" : "stop",
        "incomplete" => incompleteReason is null or "max_output_tokens" ? "length" : incompleteReason,
        "failed" => "error",
        "cancelled" => "cancelled",
        _ => null,
    };
}
