namespace LlmMeter.Tests.Record;

/// <summary>One call as it went over the wire: the request body and the response (JSON or SSE), <c>usage.cost</c> removed.</summary>
public sealed record Transcript(string Name, string Request, string Body, bool Sse = false, int Status = 200)
{
    public override string ToString() => Name;
}

/// <summary>
/// Calls shaped like real OpenRouter traffic: canonical-slug answers, overlapping cache writes, web search, paid and
/// <c>:free</c> models sharing a slug, long-context tiers, error bodies naming the provider. Prices in
/// <see cref="Pricing.CatalogSamples"/>.
/// </summary>
public static class Transcripts
{
    private const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the attached report in three bullet points.\"}]";

    /// <summary>Requested <c>anthropic/claude-sonnet-4.6</c>, no <c>models</c>, fallbacks off: served under its canonical slug.</summary>
    public static readonly Transcript Sonnet46Canonical = new(
        "sonnet-4.6-canonical",
        $$"""{"model":"anthropic/claude-sonnet-4.6","provider":{"allow_fallbacks":false},{{Messages}}}""",
        Chat("gen-1771300001-sNt46aBcDeFgHiJk", "anthropic/claude-4.6-sonnet-20260217", "Google", prompt: 1520, completion: 312));

    /// <summary>Requested with the hyphenated id, streamed, served under the canonical slug.</summary>
    public static readonly Transcript Sonnet45CanonicalStream = new(
        "sonnet-4-5-canonical-stream",
        $$"""{"model":"anthropic/claude-sonnet-4-5","stream":true,"provider":{"allow_fallbacks":false},{{Messages}}}""",
        Stream("gen-1759100002-sNt45xYzAbCdEfGh", "anthropic/claude-4.5-sonnet-20250929", "Amazon Bedrock",
            """{"prompt_tokens":830,"completion_tokens":96,"total_tokens":926,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"""),
        Sse: true);

    /// <summary>Gemini reports cache writes that overlap the cached tokens.</summary>
    public static readonly Transcript GeminiOverlappingCacheWrites = new(
        "gemini-overlapping-cache-writes",
        $$"""{"model":"google/gemini-2.5-flash",{{Messages}}}""",
        Chat("gen-1760000003-gEmFlAsHcAcHe001", "google/gemini-2.5-flash", "Google AI Studio", prompt: 2168, completion: 410, cached: 2161, cacheWrite: 2161));

    /// <summary>Two web searches (Anthropic's server tool), billed per search.</summary>
    public static readonly Transcript SonnetWebSearch = new(
        "sonnet-web-search",
        $$"""{"model":"anthropic/claude-sonnet-4.5","plugins":[{"id":"web","engine":"native"}],{{Messages}}}""",
        Chat("gen-1760000004-wEbSeArCh0000001", "anthropic/claude-4.5-sonnet-20250929", "Anthropic", prompt: 9120, completion: 604,
            usageExtra: ",\"server_tool_use_details\":{\"web_search_requests\":2}"));

    /// <summary>A paid model answering under the canonical slug it shares with its <c>:free</c> variant (listed first).</summary>
    public static readonly Transcript MistralPaidCanonical = new(
        "mistral-paid-canonical",
        $$"""{"model":"mistralai/mistral-small-3.1-24b-instruct",{{Messages}}}""",
        Chat("gen-1760000005-mIsTrAlPaId00001", "mistralai/mistral-small-3.1-24b-instruct-2503", "Mistral", prompt: 4000, completion: 1000));

    /// <summary>The <c>:free</c> variant answering under the same canonical slug.</summary>
    public static readonly Transcript MistralFreeCanonical = new(
        "mistral-free-canonical",
        $$"""{"model":"mistralai/mistral-small-3.1-24b-instruct:free",{{Messages}}}""",
        Chat("gen-1760000006-mIsTrAlFrEe00001", "mistralai/mistral-small-3.1-24b-instruct-2503", "Chutes", prompt: 4000, completion: 1000));

    /// <summary>A paid model (listed before its <c>:free</c> variant) streamed under the canonical slug.</summary>
    public static readonly Transcript QwenPaidCanonicalStream = new(
        "qwen-paid-canonical-stream",
        $$"""{"model":"qwen/qwen3-235b-a22b","stream":true,{{Messages}}}""",
        Stream("gen-1760000007-qWeNpAiDsTrEaM01", "qwen/qwen3-235b-a22b-04-28", "DeepInfra",
            """{"prompt_tokens":3000,"completion_tokens":1500,"total_tokens":4500,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":900}}"""),
        Sse: true);

    /// <summary>A long-context call priced by the tier of <c>pricing.overrides</c> its prompt reaches.</summary>
    public static readonly Transcript GeminiProLongContext = new(
        "gemini-pro-long-context",
        $$"""{"model":"google/gemini-2.5-pro",{{Messages}}}""",
        Chat("gen-1780000008-gEmPrOtIeR000001", "google/gemini-2.5-pro", "Google Vertex", prompt: 250_000, completion: 2000, cached: 100_000, reasoning: 1200));

    /// <summary>A 429 whose body names the upstream provider.</summary>
    public static readonly Transcript RateLimitedWithProvider = new(
        "rate-limited-provider",
        $$"""{"model":"qwen/qwen3-235b-a22b:free",{{Messages}}}""",
        """{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"qwen/qwen3-235b-a22b:free is temporarily rate-limited upstream. Please retry shortly.","provider_name":"Chutes","is_byok":false}},"user_id":"user_2zXyWvUtSrQpOnMl"}""",
        Status: 429);

    /// <summary>A 502 whose body names the provider and carries the generation id.</summary>
    public static readonly Transcript UpstreamErrorWithGenerationId = new(
        "upstream-error-generation-id",
        $$"""{"model":"anthropic/claude-sonnet-4.6",{{Messages}}}""",
        """{"error":{"message":"Provider returned error","code":502,"metadata":{"raw":"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}","provider_name":"Anthropic","generation_id":"gen-1771300010-eRrOrGeNiD000001"}},"user_id":"user_2zXyWvUtSrQpOnMl"}""",
        Status: 502);

    public static IEnumerable<Transcript> All =>
    [
        Sonnet46Canonical, Sonnet45CanonicalStream, GeminiOverlappingCacheWrites, SonnetWebSearch, MistralPaidCanonical,
        MistralFreeCanonical, QwenPaidCanonicalStream, GeminiProLongContext, RateLimitedWithProvider, UpstreamErrorWithGenerationId,
    ];

    public static string Chat(
        string id, string model, string provider, long prompt, long completion, long cached = 0, long cacheWrite = 0, long reasoning = 0, string usageExtra = "") =>
        $$$"""
        {"id":"{{{id}}}","object":"chat.completion","created":1771300001,"model":"{{{model}}}","provider":"{{{provider}}}","system_fingerprint":null,
         "choices":[{"index":0,"logprobs":null,"finish_reason":"stop","native_finish_reason":"end_turn",
           "message":{"role":"assistant","content":"- Revenue grew 12%.\n- Costs fell.\n- Outlook raised.","refusal":null,"reasoning":null}}],
         "usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}},"is_byok":false,
           "prompt_tokens_details":{"cached_tokens":{{{cached}}},"cache_write_tokens":{{{cacheWrite}}},"audio_tokens":0,"video_tokens":0},
           "completion_tokens_details":{"reasoning_tokens":{{{reasoning}}},"image_tokens":0}{{{usageExtra}}}}}
        """;

    public static string Stream(string id, string model, string provider, string usage) => string.Join("\n",
        ": OPENROUTER PROCESSING",
        "",
        Chunk(id, model, provider, """{"role":"assistant","content":"","reasoning":null}""", "null"),
        "",
        Chunk(id, model, provider, """{"role":"assistant","content":"- Revenue grew 12%.\n"}""", "null"),
        "",
        Chunk(id, model, provider, """{"role":"assistant","content":"- Costs fell.\n- Outlook raised."}""", "null"),
        "",
        Chunk(id, model, provider, """{"role":"assistant","content":""}""", "\"stop\""),
        "",
        $$"""data: {"id":"{{id}}","object":"chat.completion.chunk","created":1771300001,"model":"{{model}}","provider":"{{provider}}","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}],"usage":{{usage}}}""",
        "",
        "data: [DONE]",
        "");

    public static string Chunk(string id, string model, string provider, string delta, string finish) =>
        $$"""data: {"id":"{{id}}","object":"chat.completion.chunk","created":1771300001,"model":"{{model}}","provider":"{{provider}}","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{finish}},"native_finish_reason":{{finish}},"logprobs":null}]}""";
}
