using System.Collections.Frozen;
using System.Text.Json;
using LlmMeter.Pricing.Internal;

namespace LlmMeter.Pricing;

/// <summary>
/// Model prices, read from OpenRouter's <c>GET /api/v1/models</c> answer (<c>{"data":[{"id", "pricing": {...}}]}</c>,
/// prices as strings in USD per token). Immutable; a refresh builds a new catalog.
/// </summary>
public sealed class ModelPriceCatalog
{
    private readonly FrozenDictionary<string, ModelPrice> _prices;
    private readonly FrozenDictionary<string, string> _canonical;

    private ModelPriceCatalog(Dictionary<string, ModelPrice> prices, Dictionary<string, string>? canonical = null)
    {
        _prices = prices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _canonical = (canonical ?? new Dictionary<string, string>()).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

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

    /// <summary>
    /// Finds a model's prices: the exact id or canonical slug first, then the id without a <c>:variant</c> suffix.
    /// A <c>:free</c> id is always free, listed or not: it never takes its paid base model's price.
    /// </summary>
    public bool TryGetPrice(string? model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
    {
        price = null;
        if (string.IsNullOrEmpty(model))
        {
            return false;
        }

        if (ModelNames.IsFreeVariant(model))
        {
            price = ModelPrice.Free;
            return true;
        }

        if (_prices.TryGetValue(model, out price))
        {
            return true;
        }

        var colon = model.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && _prices.TryGetValue(model[..colon], out price);
    }

    /// <summary>The model's canonical slug as the catalog lists it (the slug itself for a slug), null when unknown.</summary>
    internal string? CanonicalOf(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        if (_canonical.TryGetValue(model, out var slug))
        {
            return slug;
        }

        var colon = model.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && _canonical.TryGetValue(model[..colon], out slug) ? slug : null;
    }
    private static ModelPriceCatalog FromDocument(JsonElement root)
    {
        var (prices, canonical) = CatalogDocument.Read(root);
        return new ModelPriceCatalog(prices, canonical);
    }
}
