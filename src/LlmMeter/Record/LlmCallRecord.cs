namespace LlmMeter;

/// <summary>
/// One metered OpenRouter call. Its JSON form (snake_case, see <see cref="LlmMeterJson"/>) is the
/// wire format the collector ingests. It never carries the <c>Authorization</c> header, API keys or
/// message contents.
/// </summary>
public sealed record LlmCallRecord
{
    /// <summary>OpenRouter generation id (body <c>id</c> or <c>X-Generation-Id</c>), else a local id starting with <c>llmm-</c>.</summary>
    public required string Id { get; init; }

    /// <summary>When the call started, UTC, millisecond precision.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Application name from <see cref="LlmMeterOptions.App"/>.</summary>
    public required string App { get; init; }

    /// <summary>Tags: option defaults, then the ambient scope, then the <c>X-LlmMeter-Tags</c> header (later wins).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = LlmMeterContext.EmptyTags;

    /// <summary>One of <see cref="LlmEndpoints"/>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The request's <c>model</c>, or the first entry of <c>models</c> when <c>model</c> is absent.</summary>
    public string? RequestedModel { get; init; }

    /// <summary>The request's <c>models</c> list, when present.</summary>
    public IReadOnlyList<string>? FallbackModels { get; init; }

    /// <summary>The model that served, from the response's <c>model</c>.</summary>
    public string? ServedModel { get; init; }

    /// <summary>True when a different model than the requested one served (see the README for the rules).</summary>
    public bool FallbackUsed { get; init; }

    /// <summary>Index of the served model in <see cref="FallbackModels"/>, when known.</summary>
    public int? FallbackIndex { get; init; }

    /// <summary>Number of routing attempts, from <c>openrouter_metadata</c>, when known.</summary>
    public int? Attempts { get; init; }

    /// <summary>The providers the request asked for: its <c>provider.order</c>, else <c>provider.only</c>.</summary>
    public IReadOnlyList<string>? RequestedProviders { get; init; }

    /// <summary>Upstream provider that served (response <c>provider</c>).</summary>
    public string? Provider { get; init; }

    /// <summary>True for a streamed (SSE) call.</summary>
    public bool Stream { get; init; }

    /// <summary>HTTP status, or null when no response arrived.</summary>
    public int? StatusCode { get; init; }

    /// <summary>How the call ended.</summary>
    public required LlmCallOutcome Outcome { get; init; }

    /// <summary>Classified error, null on success.</summary>
    public LlmErrorType? ErrorType { get; init; }

    /// <summary>Normalised finish reason of the first choice.</summary>
    public string? FinishReason { get; init; }

    /// <summary>Milliseconds from start to response headers.</summary>
    public double? HeadersMs { get; init; }

    /// <summary>Streams: milliseconds from start to the first non-empty content or tool-call delta.</summary>
    public double? TtftMs { get; init; }

    /// <summary>Milliseconds from start to the last byte (or to the abort).</summary>
    public double LatencyMs { get; init; }

    /// <summary>Prompt tokens, cached tokens included.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Prompt tokens read from the provider's cache.</summary>
    public long? CachedInputTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache.</summary>
    public long? CacheWriteTokens { get; init; }

    /// <summary>Completion tokens, reasoning tokens included.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Reasoning tokens.</summary>
    public long? ReasoningTokens { get; init; }

    /// <summary>Cost in USD, null when unknown.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Where <see cref="CostUsd"/> comes from.</summary>
    public LlmCostSource CostSource { get; init; }

    /// <summary>The routing rule applied before the call went out; null when none applied.</summary>
    public LlmRoutingInfo? Routing { get; init; }

    /// <summary>What the meter could not read (for example <c>request_body_not_json</c>); null when all was read.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }
}

/// <summary>A routing rule that changed or blocked a call.</summary>
/// <param name="RuleId">The rule's id.</param>
/// <param name="Action">What it did: <c>downgrade</c>, <c>route_free</c> or <c>block</c>.</param>
/// <param name="OriginalModel">The model the caller asked for.</param>
public sealed record LlmRoutingInfo(string RuleId, string Action, string? OriginalModel);
