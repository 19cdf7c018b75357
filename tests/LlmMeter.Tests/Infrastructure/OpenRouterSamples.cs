namespace LlmMeter.Tests.Infrastructure;

/// <summary>Response shapes from ../shared/reference/openrouter-api.md, including the awkward real ones.</summary>
public static class OpenRouterSamples
{
    public const string ChatRequest =
        """{"model":"google/gemma-4-26b-a4b-it:free","messages":[{"role":"user","content":"Say hello in twelve words."}]}""";

    public const string ChatResponse =
        """
        {"id":"gen-1785175967-0yUbjrUVCs9RPx0pedNA","object":"chat.completion","created":1785175967,
         "model":"google/gemma-4-26b-a4b-it:free","provider":"Darkbloom","system_fingerprint":null,
         "choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop",
           "message":{"role":"assistant","content":"Hello there, this is a friendly greeting in exactly twelve words.","refusal":null,"reasoning":null}}],
         "usage":{"prompt_tokens":24,"completion_tokens":431,"total_tokens":455,"cost":0,"is_byok":false,
           "prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0},
           "cost_details":{"upstream_inference_cost":0.000071835,"upstream_inference_prompt_cost":7.2E-7,
                           "upstream_inference_completions_cost":0.000071115},
           "completion_tokens_details":{"reasoning_tokens":0,"image_tokens":0,"audio_tokens":0}}}
        """;

    /// <summary>A chat completion answer for <paramref name="model"/> with the given usage.</summary>
    public static string Chat(
        string model,
        string id = "gen-100-abc",
        string provider = "OpenAI",
        int prompt = 100,
        int completion = 50,
        int cached = 0,
        int reasoning = 0,
        string? cost = "0.00123",
        string content = "Hi.",
        string? extra = null) =>
        $$$"""
        {"id":"{{{id}}}","object":"chat.completion","created":1785175967,"model":"{{{model}}}","provider":"{{{provider}}}",
         "choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","message":{"role":"assistant","content":"{{{content}}}"}}],
         "usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}{{{(cost is null ? "" : ",\"cost\":" + cost)}}},
           "prompt_tokens_details":{"cached_tokens":{{{cached}}},"cache_write_tokens":0},
           "completion_tokens_details":{"reasoning_tokens":{{{reasoning}}}}}{{{extra}}}}
        """;

    /// <summary>A stream whose usage arrives on a chunk with an empty <c>choices</c> array (as the docs say).</summary>
    public static string StreamUsageOnEmptyChoices(string model = "openai/gpt-4o", string newline = "\n") => Lines(newline,
        ": OPENROUTER PROCESSING",
        "",
        $$$"""data: {"id":"gen-s1","object":"chat.completion.chunk","created":1,"model":"{{{model}}}","provider":"OpenAI","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""",
        "",
        ": OPENROUTER PROCESSING",
        "",
        $$$"""data: {"id":"gen-s1","object":"chat.completion.chunk","created":1,"model":"{{{model}}}","provider":"OpenAI","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}""",
        "",
        $$$"""data: {"id":"gen-s1","object":"chat.completion.chunk","created":1,"model":"{{{model}}}","provider":"OpenAI","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":"stop","native_finish_reason":"stop"}]}""",
        "",
        $$$$"""data: {"id":"gen-s1","object":"chat.completion.chunk","created":1,"model":"{{{{model}}}}","provider":"OpenAI","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"cost":0.00042,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}}""",
        "",
        "data: [DONE]",
        "");

    /// <summary>A captured stream: usage on a chunk whose <c>choices</c> holds one element with an empty delta.</summary>
    public static string StreamUsageOnOneChoice(string model = "anthropic/claude-3.5-sonnet", string newline = "\n") => Lines(newline,
        $$$"""data: {"id":"gen-s2","object":"chat.completion.chunk","created":1,"model":"{{{model}}}","provider":"Anthropic","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}""",
        "",
        $$$"""data: {"id":"gen-s2","object":"chat.completion.chunk","created":1,"model":"{{{model}}}","provider":"Anthropic","choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}]}""",
        "",
        $$$$"""data: {"id":"gen-s2","object":"chat.completion.chunk","created":1,"model":"{{{{model}}}}","provider":"Anthropic","choices":[{"index":0,"delta":{"content":""},"finish_reason":null}],"usage":{"prompt_tokens":30,"completion_tokens":3,"total_tokens":33,"cost":0.000135,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":10},"completion_tokens_details":{"reasoning_tokens":1}}}""",
        "",
        "data: [DONE]",
        "");

    /// <summary>A stream that fails mid-way: HTTP 200, a chunk with a top-level error and finish_reason "error".</summary>
    public static string StreamMidError(string code) => Lines("\n",
        """data: {"id":"gen-s3","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"content":"Partial"},"finish_reason":null}]}""",
        "",
        $$$"""data: {"id":"gen-s3","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","provider":"OpenAI","error":{"code":{{{code}}},"message":"Provider disconnected","metadata":{"error_type":"provider_error"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}""",
        "");

    public static string Error(int code, string message, string? metadata = null) =>
        $$$"""{"error":{"code":{{{code}}},"message":"{{{message}}}"{{{(metadata is null ? "" : ",\"metadata\":" + metadata)}}}}}""";

    /// <summary>OpenRouter's /models answer (prices are strings, USD per token).</summary>
    public const string Models =
        """
        {"data":[
          {"id":"openai/gpt-4o","canonical_slug":"openai/gpt-4o-2024-05-13","context_length":128000,
           "pricing":{"prompt":"0.0000025","completion":"0.00001","request":"0","image":"0","input_cache_read":"0.00000125"}},
          {"id":"anthropic/claude-3.5-sonnet","pricing":{"prompt":"0.000003","completion":"0.000015","request":"0","input_cache_read":"0.0000003","input_cache_write":"0.00000375"}},
          {"id":"openrouter/auto","pricing":{"prompt":"-1","completion":"-1"}}
        ]}
        """;

    private static string Lines(string newline, params string[] lines) => string.Join(newline, lines);
}
