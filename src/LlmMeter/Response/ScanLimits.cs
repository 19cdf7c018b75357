namespace LlmMeter.Response;

/// <summary>How much of one response the meter keeps at a time, whatever the size of the body or of one token.</summary>
internal static class ScanLimits
{
    /// <summary>
    /// The most kept of one unfinished JSON token or of one stream event. A longer string (a base64 image, a long
    /// tool result) is measured as it passes and never kept; a longer event is scanned in parts as it arrives.
    /// </summary>
    public const int MaxKeptBytes = 64 * 1024;

    /// <summary>
    /// The most kept of a string the meter needs whole (a model id, an error message): a longer one stops the
    /// body's scan (<c>response_token_too_large</c>). Only a broken or hostile answer comes near it.
    /// </summary>
    public const int MaxNeededBytes = 16 * 1024 * 1024;
}
