namespace LlmMeter.Sink.Internal;

/// <summary>How one delivery of some records ended.</summary>
internal enum DeliveryStatus
{
    /// <summary>The collector answered 2xx: stored or already stored, except the records it listed as rejected.</summary>
    Delivered,

    /// <summary>The collector refused the request as a whole (4xx other than 408/429, 3xx): resending it unchanged cannot help.</summary>
    Refused,

    /// <summary>A 5xx other than 503: the collector may be failing on some of these records (retried, then isolated).</summary>
    ServerError,

    /// <summary>Shut down before the collector took it.</summary>
    Cancelled,
}

/// <summary>One record the collector named as invalid.</summary>
/// <param name="Index">Its 0-based position in the request.</param>
/// <param name="Field">The wire field at fault, as the collector wrote it; null when it named none.</param>
internal readonly record struct RejectedRecord(int Index, string? Field);

/// <summary>The answer to one delivery (after the transport's own retries of outages).</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Attempts">Requests sent for it, for the log.</param>
internal sealed record Delivery(DeliveryStatus Status, int Attempts)
{
    /// <summary>The HTTP status of a refusal or a server error.</summary>
    public int StatusCode { get; init; }

    /// <summary>Records a 2xx answer listed as rejected (distinct, in range); empty otherwise.</summary>
    public IReadOnlyList<RejectedRecord> Rejected { get; init; } = [];

    /// <summary>A refusal's ProblemDetails, when its body was one.</summary>
    public CollectorProblem? Problem { get; init; }
}

/// <summary>What a refusal's ProblemDetails said.</summary>
/// <param name="Title">Its title, shortened for the log.</param>
/// <param name="Detail">Its detail, shortened for the log.</param>
/// <param name="Index">The <c>index</c> extension of an older collector: the first invalid record of the request.</param>
/// <param name="Field">The <c>field</c> extension: the wire field at fault.</param>
internal sealed record CollectorProblem(string? Title, string? Detail, int? Index, string? Field);
