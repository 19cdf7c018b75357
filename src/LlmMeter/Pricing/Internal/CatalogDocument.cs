using System.Globalization;
using System.Text.Json;

namespace LlmMeter.Pricing.Internal;

/// <summary>
/// Reads OpenRouter's <c>/models</c> document (<c>{"data":[{"id", "canonical_slug", "pricing": {...}}]}</c>, prices as
/// strings in USD per token) into prices by id and canonical slug, and the id-to-slug map.
/// </summary>
internal static class CatalogDocument
{
    // The keys of a pricing.overrides entry that are prices; any other key but min_prompt_tokens is a condition
    // the meter cannot evaluate (utc_days, ...), and the entry is left out.
    private static readonly string[] s_priceKeys =
        ["prompt", "completion", "request", "input_cache_read", "input_cache_write", "internal_reasoning", "web_search", "image"];

    public static (Dictionary<string, ModelPrice> Prices, Dictionary<string, string> Canonical) Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("The price catalog must be an object with a 'data' array, as OpenRouter's /models returns.");
        }

        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        var canonical = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var bySlug = new Dictionary<string, (int Rank, ModelPrice Price)>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in data.EnumerateArray())
        {
            if (model.ValueKind != JsonValueKind.Object
                || !model.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String
                || idElement.GetString() is not { Length: > 0 } id)
            {
                continue;
            }

            var slug = model.TryGetProperty("canonical_slug", out var slugElement) && slugElement.ValueKind == JsonValueKind.String
                ? slugElement.GetString() is { Length: > 0 } s ? s : null
                : null;
            if (slug is not null)
            {
                canonical[id] = slug;
                canonical[slug] = slug;
            }

            if (!model.TryGetProperty("pricing", out var pricing) || pricing.ValueKind != JsonValueKind.Object || ReadPrice(pricing) is not { } price)
            {
                continue;
            }

            // A :free id costs nothing, whatever its entry says.
            price = ModelNames.IsFreeVariant(id) ? ModelPrice.Free : price;
            prices[id] = price;
            if (slug is not null)
            {
                // Responses name the canonical slug, which a paid model and its :free variant share: the slug takes the
                // base id's price, else a paid variant's, a :free one's only when nothing else has the slug.
                var rank = ModelNames.IsFreeVariant(id) ? 2 : id.Contains(':', StringComparison.Ordinal) ? 1 : 0;
                if (!bySlug.TryGetValue(slug, out var held) || rank < held.Rank)
                {
                    bySlug[slug] = (rank, price);
                }
            }
        }

        foreach (var (slug, (_, price)) in bySlug)
        {
            prices.TryAdd(slug, price); // An id that equals a slug keeps its own price.
        }

        return (prices, canonical);
    }

    private static ModelPrice? ReadPrice(JsonElement pricing)
    {
        var prompt = ReadDecimal(pricing, "prompt");
        var completion = ReadDecimal(pricing, "completion");
        if (prompt is null || completion is null || prompt < 0 || completion < 0)
        {
            return null; // "-1" marks variable-priced routers such as openrouter/auto: not estimable.
        }

        var price = new ModelPrice(
            prompt.Value,
            completion.Value,
            NonNegative(ReadDecimal(pricing, "request")) ?? 0,
            NonNegative(ReadDecimal(pricing, "input_cache_read")),
            NonNegative(ReadDecimal(pricing, "input_cache_write")),
            ReadDecimal(pricing, "internal_reasoning") is { } r && r > 0 ? r : null)
        {
            WebSearch = NonNegative(ReadDecimal(pricing, "web_search")),
        };

        return pricing.TryGetProperty("overrides", out var overrides) && overrides.ValueKind == JsonValueKind.Array
            ? price with { Tiers = ReadTiers(price, overrides) }
            : price;
    }

    private static ModelPriceTier[] ReadTiers(ModelPrice basePrice, JsonElement overrides)
    {
        var tiers = new List<ModelPriceTier>();
        foreach (var entry in overrides.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || ReadDecimal(entry, "min_prompt_tokens") is not { } min || min <= 0 || min > long.MaxValue
                || !OnlyPricesAndSize(entry))
            {
                continue;
            }

            // Rates the override leaves out are the base rates; a negative one leaves the entry out.
            var prompt = ReadDecimal(entry, "prompt") ?? basePrice.Prompt;
            var completion = ReadDecimal(entry, "completion") ?? basePrice.Completion;
            var request = ReadDecimal(entry, "request") ?? basePrice.Request;
            var read = ReadDecimal(entry, "input_cache_read") ?? basePrice.InputCacheRead;
            var write = ReadDecimal(entry, "input_cache_write") ?? basePrice.InputCacheWrite;
            var reasoning = ReadDecimal(entry, "internal_reasoning") ?? basePrice.InternalReasoning;
            var search = ReadDecimal(entry, "web_search") ?? basePrice.WebSearch;
            if (prompt < 0 || completion < 0 || request < 0 || read < 0 || write < 0 || reasoning < 0 || search < 0)
            {
                continue;
            }

            var price = new ModelPrice(prompt, completion, request, read, write, reasoning > 0 ? reasoning : null) { WebSearch = search };
            tiers.Add(new ModelPriceTier((long)min, price));
        }

        return [.. tiers.OrderBy(t => t.MinPromptTokens)];
    }

    private static bool OnlyPricesAndSize(JsonElement entry)
    {
        foreach (var property in entry.EnumerateObject())
        {
            if (property.Name != "min_prompt_tokens" && Array.IndexOf(s_priceKeys, property.Name) < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static decimal? NonNegative(decimal? value) => value is >= 0 ? value : null;

    // OpenRouter sends prices as strings; accept numbers too.
    private static decimal? ReadDecimal(JsonElement pricing, string name)
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
