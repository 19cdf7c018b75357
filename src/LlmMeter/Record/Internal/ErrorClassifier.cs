using LlmMeter.Response;

namespace LlmMeter.Record.Internal;

/// <summary>Maps an OpenRouter HTTP status and error body to <see cref="LlmErrorType"/>.</summary>
internal static class ErrorClassifier
{
    public static LlmErrorType FromStatus(int status, ResponseFacts? facts) => status switch
    {
        400 or 413 or 422 => LlmErrorType.BadRequest,
        401 => LlmErrorType.Unauthorized,
        402 => LlmErrorType.InsufficientCredits,

        // 403 is moderation, except a key's spending limit, which OpenRouter also reports with 403.
        403 => facts is { ErrorMentionsLimit: true, ErrorHasModerationDetails: false } ? LlmErrorType.InsufficientCredits : LlmErrorType.Moderation,
        408 or 524 => LlmErrorType.Timeout,
        429 => LlmErrorType.RateLimited,
        500 or 502 or 504 or 529 => LlmErrorType.UpstreamUnavailable,
        503 => LlmErrorType.NoProvider,
        _ => LlmErrorType.Other,
    };

    /// <summary>A mid-stream error: <c>code</c> is an integer in most docs and a string in one.</summary>
    public static LlmErrorType FromStreamError(ResponseFacts facts)
    {
        if (facts.ErrorCode is { } code && code >= 400)
        {
            return FromStatus(code, facts);
        }

        // A string code ("rate_limit_exceeded") is more specific than the metadata's error_type ("provider_error").
        var text = facts.ErrorCodeText ?? facts.ErrorMetadataType;
        if (string.IsNullOrEmpty(text))
        {
            return facts.FinishReason == "content_filter" ? LlmErrorType.Moderation : LlmErrorType.UpstreamUnavailable;
        }

        if (Has(text, "rate")) return LlmErrorType.RateLimited;
        if (Has(text, "timeout") || Has(text, "timed_out")) return LlmErrorType.Timeout;
        if (Has(text, "moderation") || Has(text, "content_filter") || Has(text, "guardrail")) return LlmErrorType.Moderation;
        if (Has(text, "credit") || Has(text, "payment") || Has(text, "quota")) return LlmErrorType.InsufficientCredits;
        if (Has(text, "auth")) return LlmErrorType.Unauthorized;
        if (Has(text, "invalid") || Has(text, "bad_request")) return LlmErrorType.BadRequest;
        if (Has(text, "server") || Has(text, "provider") || Has(text, "upstream") || Has(text, "overload") || Has(text, "unavailable"))
        {
            return LlmErrorType.UpstreamUnavailable;
        }

        return LlmErrorType.Other;
    }

    private static bool Has(string text, string word) => text.Contains(word, StringComparison.OrdinalIgnoreCase);
}
