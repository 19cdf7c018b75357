using System.Globalization;
using System.Text;

namespace LlmMeter.Benchmarks;

/// <summary>Canned OpenRouter bodies, built once so the benchmarks measure HTTP plumbing, not string building.</summary>
internal static class Payloads
{
    public const string Model = "openai/gpt-4o";

    public static readonly Uri ChatUri = new("https://openrouter.ai/api/v1/chat/completions");

    public const string ChatRequest =
        """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"Summarise the meeting notes in a paragraph."}]}""";

    public const string StreamRequest =
        """{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"Summarise the meeting notes in a paragraph."}]}""";

    /// <summary>A non-streaming chat completion of about 2 KB, in the shape OpenRouter returns.</summary>
    public static readonly byte[] ChatResponse = Encoding.UTF8.GetBytes(BuildChatResponse());

    /// <summary>200 content chunks, a usage chunk and <c>[DONE]</c>: one SSE event per element.</summary>
    public static readonly byte[][] StreamEvents = BuildStreamEvents(200);

    private static string BuildChatResponse()
    {
        // Pad the answer text so the whole body lands at ~2 KB, the size the overhead goal is stated for.
        var content = new StringBuilder();
        while (content.Length < 1280)
        {
            content.Append("The team agreed to ship the metering handler next sprint and to benchmark it first. ");
        }

        return $$$$"""
            {"id":"gen-1785175967-0yUbjrUVCs9RPx0pedNA","object":"chat.completion","created":1785175967,"model":"{{{{Model}}}}","provider":"OpenAI","system_fingerprint":"fp_5b2d5a7f1c",
             "choices":[{"index":0,"logprobs":null,"finish_reason":"stop","native_finish_reason":"stop",
               "message":{"role":"assistant","content":"{{{{content}}}}","refusal":null,"reasoning":null}}],
             "usage":{"prompt_tokens":24,"completion_tokens":281,"total_tokens":305,"cost":0.002870,"is_byok":false,
               "prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0},
               "cost_details":{"upstream_inference_cost":null,"upstream_inference_prompt_cost":0.00006,"upstream_inference_completions_cost":0.00281},
               "completion_tokens_details":{"reasoning_tokens":0,"image_tokens":0,"audio_tokens":0}}}
            """;
    }

    private static byte[][] BuildStreamEvents(int contentChunks)
    {
        const string Prefix = """data: {"id":"gen-1785175968-s7QqTDy1vXk2LzRnWcHe","object":"chat.completion.chunk","created":1785175968,"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{""";
        var events = new List<byte[]>(contentChunks + 2);
        for (var i = 0; i < contentChunks; i++)
        {
            var role = i == 0 ? "\"role\":\"assistant\"," : string.Empty;
            var finish = i == contentChunks - 1 ? "\"stop\"" : "null";
            var word = string.Create(CultureInfo.InvariantCulture, $"word{i % 10} ");
            events.Add(Encoding.UTF8.GetBytes($$$"""{{{Prefix}}}{{{role}}}"content":"{{{word}}}"},"finish_reason":{{{finish}}}}]}""" + "\n\n"));
        }

        events.Add(Encoding.UTF8.GetBytes(
            """data: {"id":"gen-1785175968-s7QqTDy1vXk2LzRnWcHe","object":"chat.completion.chunk","created":1785175968,"model":"openai/gpt-4o","provider":"OpenAI","choices":[],"usage":{"prompt_tokens":24,"completion_tokens":200,"total_tokens":224,"cost":0.00206,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}""" + "\n\n"));
        events.Add(Encoding.UTF8.GetBytes("data: [DONE]\n\n"));
        return [.. events];
    }
}
