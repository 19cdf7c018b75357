using System.Globalization;
using System.Text.Json;

namespace LlmMeter.Collector.Demo;

/// <summary>A model the simulator serves, priced in USD per token as OpenRouter's <c>/models</c> lists it.</summary>
internal sealed record SimulatedModel(
    string Id,
    string Provider,
    decimal Prompt,
    decimal Completion,
    decimal CacheRead = 0m,
    decimal CacheWrite = 0m,
    int ContextLength = 128_000)
{
    public bool IsFree => Prompt == 0m && Completion == 0m;

    /// <summary>What OpenRouter would charge: uncached prompt, cached prompt and completion tokens at their prices.</summary>
    public decimal Cost(long promptTokens, long cachedTokens, long completionTokens) =>
        decimal.Round(((promptTokens - cachedTokens) * Prompt) + (cachedTokens * CacheRead) + (completionTokens * Completion), 9);
}

/// <summary>The simulator's catalog: list prices of popular OpenRouter models (mid 2025), plus a free variant.</summary>
internal static class SimulatedModels
{
    public const string Gpt4o = "openai/gpt-4o";
    public const string Gpt4oMini = "openai/gpt-4o-mini";
    public const string Sonnet = "anthropic/claude-3.5-sonnet";
    public const string Haiku = "anthropic/claude-3.5-haiku";
    public const string GeminiFlash = "google/gemini-2.0-flash-001";
    public const string Llama = "meta-llama/llama-3.3-70b-instruct";
    public const string LlamaFree = "meta-llama/llama-3.3-70b-instruct:free";

    public static readonly IReadOnlyList<SimulatedModel> All =
    [
        new(Gpt4o, "OpenAI", 0.0000025m, 0.00001m, CacheRead: 0.00000125m),
        new(Gpt4oMini, "OpenAI", 0.00000015m, 0.0000006m, CacheRead: 0.000000075m),
        new(Sonnet, "Anthropic", 0.000003m, 0.000015m, CacheRead: 0.0000003m, CacheWrite: 0.00000375m, ContextLength: 200_000),
        new(Haiku, "Anthropic", 0.0000008m, 0.000004m, CacheRead: 0.00000008m, CacheWrite: 0.000001m, ContextLength: 200_000),
        new(GeminiFlash, "Google", 0.0000001m, 0.0000004m, CacheRead: 0.000000025m, ContextLength: 1_048_576),
        new(Llama, "DeepInfra", 0.00000013m, 0.0000004m, ContextLength: 131_072),
        new(LlamaFree, "Chutes", 0m, 0m, ContextLength: 65_536),
    ];

    private static readonly Dictionary<string, SimulatedModel> s_byId = All.ToDictionary(m => m.Id, StringComparer.Ordinal);

    /// <summary>The <c>GET /api/v1/models</c> body in OpenRouter's shape (prices are strings, USD per token).</summary>
    public static readonly byte[] CatalogJson = BuildCatalog();

    public static SimulatedModel? Find(string? id) => id is not null && s_byId.TryGetValue(id, out var model) ? model : null;

    private static byte[] BuildCatalog()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("data");
            foreach (var model in All)
            {
                json.WriteStartObject();
                json.WriteString("id", model.Id);
                json.WriteString("canonical_slug", model.Id);
                json.WriteString("name", model.Id + " (simulated)");
                json.WriteString("description", "Served by LlmMeter's built-in OpenRouter simulator (demo); not a real model.");
                json.WriteNumber("context_length", model.ContextLength);
                json.WriteStartObject("pricing");
                json.WriteString("prompt", Price(model.Prompt));
                json.WriteString("completion", Price(model.Completion));
                json.WriteString("request", "0");
                json.WriteString("image", "0");
                json.WriteString("web_search", "0");
                json.WriteString("internal_reasoning", "0");
                json.WriteString("input_cache_read", Price(model.CacheRead));
                json.WriteString("input_cache_write", Price(model.CacheWrite));
                json.WriteEndObject();
                json.WriteStartObject("top_provider");
                json.WriteNumber("context_length", model.ContextLength);
                json.WriteNumber("max_completion_tokens", 16_384);
                json.WriteBoolean("is_moderated", model.Provider is "OpenAI" or "Anthropic");
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Price(decimal perToken) => perToken.ToString("0.############", CultureInfo.InvariantCulture);
}
