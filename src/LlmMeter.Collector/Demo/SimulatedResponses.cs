using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmMeter.Collector.Demo;

/// <summary>Token counts and cost of one simulated generation.</summary>
internal sealed record SimulatedUsage(long Prompt, long Cached, long Completion, decimal? Cost);

/// <summary>
/// OpenRouter's response shapes (../shared/reference/openrouter-api.md): a chat completion, SSE chunks with
/// <c>: OPENROUTER PROCESSING</c> keep-alives and usage on the last chunk, mid-stream errors, error bodies.
/// </summary>
internal static class SimulatedResponses
{
    public const string Processing = ": OPENROUTER PROCESSING\n\n";
    public const string Done = "data: [DONE]\n\n";

    private static readonly string[] s_words =
    [
        "Sure", "here", "is", "a", "short", "answer", "based", "on", "the", "order", "history", "and", "the", "catalog",
        "the", "customer", "asked", "about", "delivery", "times", "returns", "and", "sizes", "we", "recommend", "checking",
        "the", "tracking", "page", "first", "then", "contacting", "support", "if", "needed", "thanks",
    ];

    /// <summary>An id shaped like OpenRouter's: <c>gen-&lt;unix seconds&gt;-&lt;20 letters and digits&gt;</c>.</summary>
    public static string GenerationId(long created)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Span<char> suffix = stackalloc char[20];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
        }

        return string.Create(CultureInfo.InvariantCulture, $"gen-{created}-{suffix}");
    }

    /// <summary>Simulated answer text of roughly <paramref name="words"/> words.</summary>
    public static string Words(int start, int words)
    {
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            text.Append(i == 0 ? string.Empty : " ").Append(s_words[(start + i) % s_words.Length]);
        }

        return text.ToString();
    }

    public static byte[] Completion(string id, long created, SimulatedModel model, string content, SimulatedUsage usage) =>
        Json(json =>
        {
            Head(json, id, created, model, "chat.completion");
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", "stop");
            json.WriteString("native_finish_reason", "stop");
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            json.WriteString("content", content);
            json.WriteNull("refusal");
            json.WriteNull("reasoning");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            Usage(json, usage);
            json.WriteEndObject();
        });

    /// <summary>One <c>data:</c> event of a stream with a content delta (the first also carries the role).</summary>
    public static string Chunk(string id, long created, SimulatedModel model, string content, bool first, string? finishReason) =>
        Event(Json(json =>
        {
            Head(json, id, created, model, "chat.completion.chunk");
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("delta");
            if (first)
            {
                json.WriteString("role", "assistant");
            }

            json.WriteString("content", content);
            json.WriteEndObject();
            if (finishReason is null)
            {
                json.WriteNull("finish_reason");
            }
            else
            {
                json.WriteString("finish_reason", finishReason);
                json.WriteString("native_finish_reason", finishReason);
            }

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }));

    /// <summary>The last chunk before <c>[DONE]</c>: usage, with empty <c>choices</c> (as documented) or one empty delta (as captured).</summary>
    public static string UsageChunk(string id, long created, SimulatedModel model, SimulatedUsage usage, bool emptyChoices) =>
        Event(Json(json =>
        {
            Head(json, id, created, model, "chat.completion.chunk");
            json.WriteStartArray("choices");
            if (!emptyChoices)
            {
                json.WriteStartObject();
                json.WriteNumber("index", 0);
                json.WriteStartObject("delta");
                json.WriteString("content", string.Empty);
                json.WriteEndObject();
                json.WriteNull("finish_reason");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            Usage(json, usage);
            json.WriteEndObject();
        }));

    /// <summary>A mid-stream failure: HTTP stays 200, the chunk carries a top-level error and finish_reason "error".</summary>
    public static string StreamError(string id, long created, SimulatedModel model) =>
        Event(Json(json =>
        {
            Head(json, id, created, model, "chat.completion.chunk");
            json.WriteStartObject("error");
            json.WriteNumber("code", 502);
            json.WriteString("message", "Provider disconnected mid-stream (simulated)");
            json.WriteStartObject("metadata");
            json.WriteString("error_type", "provider_error");
            json.WriteString("provider_name", model.Provider);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("delta");
            json.WriteString("content", string.Empty);
            json.WriteEndObject();
            json.WriteString("finish_reason", "error");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }));

    /// <summary><c>{"error":{"code":..,"message":..,"metadata":{..}}}</c>; the HTTP status equals the code.</summary>
    public static byte[] Error(int code, string message, IReadOnlyDictionary<string, string>? metadata = null) =>
        Json(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteNumber("code", code);
            json.WriteString("message", message);
            if (metadata is not null)
            {
                json.WriteStartObject("metadata");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        });

    private static void Head(Utf8JsonWriter json, string id, long created, SimulatedModel model, string type)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", type);
        json.WriteNumber("created", created);
        json.WriteString("model", model.Id);
        json.WriteString("provider", model.Provider);
        json.WriteNull("system_fingerprint");
    }

    private static void Usage(Utf8JsonWriter json, SimulatedUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.Prompt);
        json.WriteNumber("completion_tokens", usage.Completion);
        json.WriteNumber("total_tokens", usage.Prompt + usage.Completion);
        if (usage.Cost is { } cost)
        {
            json.WriteNumber("cost", cost);
            json.WriteBoolean("is_byok", false);
        }

        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.Cached);
        json.WriteNumber("cache_write_tokens", 0);
        json.WriteNumber("audio_tokens", 0);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details");
        json.WriteNumber("reasoning_tokens", 0);
        json.WriteNumber("image_tokens", 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string Event(byte[] json) => "data: " + Encoding.UTF8.GetString(json) + "\n\n";

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        return buffer.ToArray();
    }
}
