using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmMeter;

/// <summary>How a metered call ended.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<LlmCallOutcome>))]
public enum LlmCallOutcome
{
    /// <summary>A 2xx response read to its end.</summary>
    Success,

    /// <summary>A non-2xx response.</summary>
    HttpError,

    /// <summary>A stream that carried an error chunk (HTTP 200, <c>error</c> or <c>finish_reason: "error"</c>).</summary>
    StreamError,

    /// <summary>The caller cancelled or disposed the response before its end.</summary>
    Aborted,

    /// <summary>No response, or the connection broke while reading it.</summary>
    NetworkError,

    /// <summary>Blocked by a routing rule before it went out.</summary>
    Blocked,
}

/// <summary>Classified OpenRouter error.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<LlmErrorType>))]
public enum LlmErrorType
{
    /// <summary>402: not enough credits, or a key limit.</summary>
    InsufficientCredits,

    /// <summary>429.</summary>
    RateLimited,

    /// <summary>403: moderation or guardrail.</summary>
    Moderation,

    /// <summary>408, 524 or a client-side timeout.</summary>
    Timeout,

    /// <summary>502, 529, 500: the model or provider is down.</summary>
    UpstreamUnavailable,

    /// <summary>503: no provider meets the routing requirements.</summary>
    NoProvider,

    /// <summary>400, 413, 422.</summary>
    BadRequest,

    /// <summary>401.</summary>
    Unauthorized,

    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>Where a record's cost comes from.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<LlmCostSource>))]
public enum LlmCostSource
{
    /// <summary>No cost is known.</summary>
    None,

    /// <summary>OpenRouter's <c>usage.cost</c>.</summary>
    Reported,

    /// <summary>Computed from token counts and the price catalog.</summary>
    Estimated,

    /// <summary>Looked up afterwards from OpenRouter's generation endpoint (set by the collector).</summary>
    Reconciled,
}

/// <summary>The <see cref="LlmCallRecord.Endpoint"/> values.</summary>
public static class LlmEndpoints
{
    /// <summary><c>POST /chat/completions</c>.</summary>
    public const string ChatCompletions = "chat.completions";

    /// <summary><c>POST /completions</c>.</summary>
    public const string Completions = "completions";

    /// <summary><c>POST /embeddings</c>.</summary>
    public const string Embeddings = "embeddings";

    /// <summary><c>POST /responses</c>: OpenAI's Responses API (OpenRouter beta).</summary>
    public const string Responses = "responses";

    /// <summary>Any other POST under the base address.</summary>
    public const string Other = "other";
}

/// <summary>Writes enum values in snake_case (<c>http_error</c>) and reads them back.</summary>
/// <typeparam name="TEnum">The enum.</typeparam>
internal sealed class SnakeCaseEnumConverter<TEnum> : JsonStringEnumConverter<TEnum>
    where TEnum : struct, Enum
{
    /// <summary>Creates the converter.</summary>
    public SnakeCaseEnumConverter()
        : base(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    {
    }
}
