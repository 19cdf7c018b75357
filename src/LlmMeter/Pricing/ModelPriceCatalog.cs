using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace LlmMeter.Pricing;

/// <summary>
/// Model prices, read from OpenRouter's <c>GET /api/v1/models</c> answer (<c>{"data":[{"id", "pricing": {...}}]}</c>,
/// prices as strings in USD per token). Immutable; a refresh builds a new catalog.
/// </summary>
public sealed class ModelPriceCatalog
{
    private readonly FrozenDictionary<string, ModelPrice> _prices;

    private ModelPriceCatalog(Dictionary<string, ModelPrice> prices) =>
        _prices = prices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>A catalog that knows no model.</summary>
    public static ModelPriceCatalog Empty { get; } = new(new Dictionary<string, ModelPrice>());

    /// <summary>Number of models priced.</summary>
    public int Count => _prices.Count;

    /// <summary>Builds a catalog from explicit prices.</summary>
    public static ModelPriceCatalog From(IEnumerable<KeyValuePair<string, ModelPrice>> prices)
    {
        ArgumentNullException.ThrowIfNull(prices);
        var dict = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in prices)
        {
            dict[model] = price;
        }

        return new ModelPriceCatalog(dict);
    }

    /// <summary>Reads an OpenRouter <c>/models</c> document.</summary>
    /// <exception cref="FormatException">The document is not in that shape.</exception>
    public static ModelPriceCatalog Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            using var doc = JsonDocument.ParseValue(ref reader);
            return FromDocument(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The price catalog is not valid JSON: " + ex.Message, ex);
        }
    }

    /// <summary>Reads an OpenRouter <c>/models</c> document from a stream.</summary>
    /// <exception cref="FormatException">The document is not in that shape.</exception>
    public static async Task<ModelPriceCatalog> ParseAsync(Stream utf8Json, CancellationToken cancellationToken = default)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(utf8Json, cancellationToken: cancellationToken).ConfigureAwait(false);
            return FromDocument(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The price catalog is not valid JSON: " + ex.Message, ex);
        }
    }

    /// <summary>Finds a model's prices: the exact id first, then the id without a <c>:variant</c> suffix.</summary>
    public bool TryGetPrice(string? model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
    {
        price = null;
        if (string.IsNullOrEmpty(model))
        {
            return false;
        }

        if (_prices.TryGetValue(model, out price))
        {
            return true;
        }

        var colon = model.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && _prices.TryGetValue(model[..colon], out price);
    }

    private static ModelPriceCatalog FromDocument(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("The price catalog must be an object with a 'data' array, as OpenRouter's /models returns.");
        }

        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in data.EnumerateArray())
        {
            if (model.ValueKind != JsonValueKind.Object
                || !model.TryGetProperty("id", out var idElement) || idElement.GetString() is not { Length: > 0 } id
                || !model.TryGetProperty("pricing", out var pricing) || pricing.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var prompt = ReadPrice(pricing, "prompt");
            var completion = ReadPrice(pricing, "completion");
            if (prompt is null || completion is null || prompt < 0 || completion < 0)
            {
                continue; // "-1" marks variable-priced routers such as openrouter/auto: not estimable.
            }

            var price = new ModelPrice(
                prompt.Value,
                completion.Value,
                ReadPrice(pricing, "request") ?? 0,
                ReadPrice(pricing, "input_cache_read"),
                ReadPrice(pricing, "input_cache_write"),
                ReadPrice(pricing, "internal_reasoning") is { } r && r > 0 ? r : null);
            prices[id] = price;
            if (model.TryGetProperty("canonical_slug", out var slug) && slug.GetString() is { Length: > 0 } canonical)
            {
                prices.TryAdd(canonical, price);
            }
        }

        return new ModelPriceCatalog(prices);
    }

    // OpenRouter sends prices as strings; accept numbers too.
    private static decimal? ReadPrice(JsonElement pricing, string name)
    {
        if (!pricing.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDecimal(out var d) => d,
            JsonValueKind.String when decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }
}
