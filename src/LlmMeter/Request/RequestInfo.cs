namespace LlmMeter.Request;

/// <summary>What the meter read from a request body.</summary>
internal sealed class RequestInfo
{
    public static readonly RequestInfo Unread = new();

    public string? Model { get; set; }

    public string[]? Models { get; set; }

    public bool Stream { get; set; }

    /// <summary>The request's <c>provider.order</c>, else <c>provider.only</c>.</summary>
    public string[]? Providers { get; set; }

    /// <summary>Characters of message/prompt/input text, to approximate input tokens when no usage arrives.</summary>
    public long PromptChars { get; set; }

    /// <summary>Why the body could not be read, or null.</summary>
    public string? Warning { get; set; }

    /// <summary>The model the caller asked for: <c>model</c>, else the first of <c>models</c>.</summary>
    public string? RequestedModel => Model ?? (Models is { Length: > 0 } m ? m[0] : null);
}
