namespace LlmMeter.Tests.Record;

/// <summary>
/// Calls with OpenRouter's routing trace (<c>X-OpenRouter-Metadata: enabled</c>): <c>openrouter_metadata</c> on the
/// answer, or on the last chunk of a stream, with <c>attempts[]</c> of <c>{provider, model, status}</c> naming the
/// requested id (the served attempt included), while <c>model</c> may name the canonical slug.
/// </summary>
public static class RoutingTranscripts
{
    private const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the attached report in three bullet points.\"}]";

    /// <summary>One model, its first provider failing: a provider failover, not a model fallback.</summary>
    public static readonly Transcript ProviderFailover = new(
        "provider-failover",
        $$"""{"model":"openai/gpt-4o",{{Messages}}}""",
        Transcripts.Chat("gen-1771300101-fAiLoVeR00000001", "openai/gpt-4o-2024-08-06", "OpenAI", prompt: 1200, completion: 240)
            .TrimEnd()[..^1] + "," + Metadata("openai/gpt-4o", "direct", 2, ("Azure", "openai/gpt-4o", 502), ("OpenAI", "openai/gpt-4o", 200)) + "}");

    /// <summary>The same failover streamed: the trace comes on the usage chunk.</summary>
    public static readonly Transcript ProviderFailoverStream = new(
        "provider-failover-stream",
        $$"""{"model":"anthropic/claude-sonnet-4.6","stream":true,{{Messages}}}""",
        Stream("gen-1771300102-fAiLoVeRsTrEaM001", "anthropic/claude-4.6-sonnet-20260217", "Google",
            Metadata("anthropic/claude-sonnet-4.6", "direct", 3,
                ("Anthropic", "anthropic/claude-sonnet-4.6", 529), ("Amazon Bedrock", "anthropic/claude-sonnet-4.6", 429), ("Google", "anthropic/claude-sonnet-4.6", 200))),
        Sse: true);

    /// <summary>A <c>models</c> list whose first model failed at two providers: the second model served.</summary>
    public static readonly Transcript ModelFallback = new(
        "model-fallback",
        $$"""{"models":["anthropic/claude-sonnet-4.5","openai/gpt-4o"],{{Messages}}}""",
        Transcripts.Chat("gen-1771300103-mOdElFaLlBaCk0001", "openai/gpt-4o-2024-08-06", "OpenAI", prompt: 1200, completion: 240)
            .TrimEnd()[..^1] + "," + Metadata("anthropic/claude-sonnet-4.5", "fallback", 3,
                ("Anthropic", "anthropic/claude-sonnet-4.5", 529), ("Google", "anthropic/claude-sonnet-4.5", 502), ("OpenAI", "openai/gpt-4o", 200)) + "}");

    /// <summary>The same model fallback streamed.</summary>
    public static readonly Transcript ModelFallbackStream = new(
        "model-fallback-stream",
        $$"""{"model":"anthropic/claude-sonnet-4.5","models":["anthropic/claude-sonnet-4.5","openai/gpt-4o"],"stream":true,{{Messages}}}""",
        Stream("gen-1771300104-mOdElFaLlBaCkSt01", "openai/gpt-4o-2024-08-06", "OpenAI",
            Metadata("anthropic/claude-sonnet-4.5", "fallback", 2, ("Anthropic", "anthropic/claude-sonnet-4.5", 529), ("OpenAI", "openai/gpt-4o", 200))),
        Sse: true);

    /// <summary>The <c>fallback</c> strategy (a <c>models</c> list) whose first model served at once, under its canonical slug.</summary>
    public static readonly Transcript FallbackStrategyFirstModel = new(
        "fallback-strategy-first-model",
        $$"""{"model":"anthropic/claude-sonnet-4.6","models":["anthropic/claude-sonnet-4.6","openai/gpt-4o"],{{Messages}}}""",
        Transcripts.Chat("gen-1771300105-fIrStMoDeL000001", "anthropic/claude-4.6-sonnet-20260217", "Anthropic", prompt: 1520, completion: 312)
            .TrimEnd()[..^1] + "," + Metadata("anthropic/claude-sonnet-4.6", "fallback", 1, ("Anthropic", "anthropic/claude-sonnet-4.6", 200)) + "}");

    public static IEnumerable<Transcript> All =>
        [ProviderFailover, ProviderFailoverStream, ModelFallback, ModelFallbackStream, FallbackStrategyFirstModel];

    /// <summary>An <c>openrouter_metadata</c> member: the routing trace with one attempt per tuple.</summary>
    public static string Metadata(string requested, string strategy, int attempt, params (string Provider, string Model, int Status)[] attempts) =>
        $$"""
        "openrouter_metadata":{"requested":"{{requested}}","strategy":"{{strategy}}","attempt":{{attempt}},"region":"iad","is_byok":false,"endpoints":{"total":{{attempts.Length}},"available":[{{string.Join(",", attempts.Select(a => $$"""{"provider":"{{a.Provider}}","model":"{{a.Model}}","selected":{{(a.Status == 200 ? "true" : "false")}}}"""))}}]},"attempts":[{{string.Join(",", attempts.Select(a => $$"""{"provider":"{{a.Provider}}","model":"{{a.Model}}","status":{{a.Status}}}"""))}}],"pipeline":[]}
        """;

    // A stream whose last chunk before [DONE] carries the usage and the routing trace.
    private static string Stream(string id, string model, string provider, string metadata) => string.Join("\n",
        ": OPENROUTER PROCESSING",
        "",
        Transcripts.Chunk(id, model, provider, """{"role":"assistant","content":"- Revenue grew 12%.\n"}""", "null"),
        "",
        Transcripts.Chunk(id, model, provider, """{"role":"assistant","content":"- Costs fell."}""", "\"stop\""),
        "",
        $$"""data: {"id":"{{id}}","object":"chat.completion.chunk","created":1771300001,"model":"{{model}}","provider":"{{provider}}","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":{"prompt_tokens":830,"completion_tokens":96,"total_tokens":926},{{metadata}}}""",
        "",
        "data: [DONE]",
        "");
}
