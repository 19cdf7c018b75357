using LlmMeter.Policy;
using LlmMeter.Pricing;

namespace LlmMeter;

/// <summary>Settings of one <see cref="LlmMeterHandler"/>. Validated when the handler is built.</summary>
public sealed class LlmMeterOptions
{
    /// <summary>The default OpenRouter API root.</summary>
    public static readonly Uri OpenRouterBaseAddress = new("https://openrouter.ai/api/v1");

    /// <summary>Application name recorded on every call. Required, at most 128 characters.</summary>
    public string App { get; set; } = "default";

    /// <summary>
    /// The API root to meter. POST requests under it are metered; every other request (another host,
    /// another path, GET /models) passes through unmetered and untouched.
    /// </summary>
    public Uri BaseAddress { get; set; } = OpenRouterBaseAddress;

    /// <summary>Tags added to every record (scope and header tags override them).</summary>
    public IDictionary<string, string> DefaultTags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Send <c>X-OpenRouter-Metadata: enabled</c> so responses carry routing metadata (attempts,
    /// strategy), which makes fallback detection exact. Off by default: it adds a field to the body.
    /// </summary>
    public bool RequestRoutingMetadata { get; set; }

    /// <summary>A fixed price catalog. When null, the catalog comes from <see cref="PriceCatalogFile"/> and/or OpenRouter.</summary>
    public ModelPriceCatalog? PriceCatalog { get; set; }

    /// <summary>A JSON file in the shape of OpenRouter's <c>GET /models</c> answer, loaded at start (offline use).</summary>
    public string? PriceCatalogFile { get; set; }

    /// <summary>Fetch <c>{BaseAddress}/models</c> in the background to price calls that report no cost. Default true.</summary>
    public bool RefreshPriceCatalog { get; set; } = true;

    /// <summary>How often the fetched catalog is refreshed. Default one hour, at least one minute.</summary>
    public TimeSpan PriceCatalogRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Budget-aware routing: when set, each call is checked against the policy before it goes out and may be
    /// sent with a cheaper model or answered with a 402 without reaching OpenRouter. Null (default): no routing.
    /// </summary>
    public LlmMeterPolicy? Policy { get; set; }
}
