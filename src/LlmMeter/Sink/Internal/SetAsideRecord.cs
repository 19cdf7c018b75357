namespace LlmMeter.Sink.Internal;

/// <summary>A record the collector kept failing (5xx) when sent alone, waiting for its next attempt.</summary>
internal sealed class SetAsideRecord
{
    public SetAsideRecord(LlmCallRecord record, string reason, int attempts, long now)
    {
        Records = [record];
        Reason = reason;
        Attempts = attempts;
        SetAt = now;
        LastAttemptAt = now;
    }

    /// <summary>The record, as the one-record request it is sent in.</summary>
    public List<LlmCallRecord> Records { get; }

    /// <summary>Its last failure, as an <c>error.type</c> such as <c>http_500</c>.</summary>
    public string Reason { get; set; }

    /// <summary>Requests sent for it so far, for the log.</summary>
    public int Attempts { get; set; }

    /// <summary>Failed retries since it was set aside: they set its backoff.</summary>
    public int Retries { get; set; }

    /// <summary>When it was set aside (a <see cref="TimeProvider"/> timestamp): the give-up time counts from here.</summary>
    public long SetAt { get; }

    /// <summary>When it was last sent.</summary>
    public long LastAttemptAt { get; set; }

    /// <summary>How long after <see cref="LastAttemptAt"/> it is sent again.</summary>
    public TimeSpan Wait { get; set; }
}
