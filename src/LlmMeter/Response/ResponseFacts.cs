namespace LlmMeter.Response;

/// <summary>What the meter saw in a response body (JSON or the chunks of a stream). Never message text.</summary>
internal sealed class ResponseFacts
{
    public string? Id;
    public string? Model;
    public string? Provider;
    public string? FinishReason;

    public long? PromptTokens;
    public long? CompletionTokens;
    public long? CachedTokens;
    public long? CacheWriteTokens;
    public long? ReasoningTokens;
    public decimal? Cost;
    public long? WebSearchRequests;

    public bool HasError;
    public int? ErrorCode;
    public string? ErrorCodeText;
    public string? ErrorMetadataType;
    public bool ErrorHasModerationDetails;
    public bool ErrorMentionsLimit;

    /// <summary><c>error.metadata.provider_name</c>: the upstream that failed (the record's provider when no other names it).</summary>
    public string? ErrorProvider;

    /// <summary><c>error.metadata.generation_id</c>, carried by some error bodies.</summary>
    public string? ErrorGenerationId;

    public bool HasRoutingMetadata;
    public string? RoutingStrategy;
    public int? RoutingAttempt;
    public int RoutingAttemptsCount;

    /// <summary>The models <c>openrouter_metadata.attempts[]</c> named; null without an attempts list.</summary>
    public RoutingAttemptModels? RoutingAttemptModels;

    /// <summary>Bytes of streamed/returned content, to approximate output tokens when no usage arrives.</summary>
    public long ContentBytes;

    /// <summary>Bytes of streamed reasoning text (<c>delta.reasoning</c>), to approximate reasoning tokens when no usage arrives.</summary>
    public long ReasoningBytes;

    /// <summary>Bytes of streamed tool-call arguments, counted as output when no usage arrives.</summary>
    public long ToolArgumentBytes;

    /// <summary>Set when a chunk carried non-empty content or a tool call.</summary>
    public bool SawToken;

    public bool HasUsage => PromptTokens is not null || CompletionTokens is not null;
}
