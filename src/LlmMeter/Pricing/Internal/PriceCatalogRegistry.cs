using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmMeter.Pricing.Internal;

/// <summary>
/// Shares one <see cref="PriceCatalogSource"/> per base address and settings, so that handlers rebuilt by
/// IHttpClientFactory (every two minutes by default) do not fetch the catalog again.
/// </summary>
internal sealed class PriceCatalogRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, PriceCatalogSource> _sources = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lazy<HttpClient> _http;

    public PriceCatalogRegistry(TimeProvider time, ILoggerFactory loggerFactory)
    {
        _time = time;
        _logger = loggerFactory.CreateLogger("LlmMeter.Pricing");

        // The catalog fetch has its own unmetered client: /models is public and needs no key.
        _http = new Lazy<HttpClient>(() => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(15) }));
    }

    /// <summary>Used by handlers built without DI.</summary>
    public static PriceCatalogRegistry Shared { get; } = new(TimeProvider.System, NullLoggerFactory.Instance);

    public PriceCatalogSource GetOrCreate(LlmMeterOptions options)
    {
        if (options.PriceCatalog is { } fixedCatalog)
        {
            return new PriceCatalogSource(fixedCatalog, null, null, Timeout.InfiniteTimeSpan, _time, _logger);
        }

        var key = string.Create(
            CultureInfo.InvariantCulture,
            $"{options.BaseAddress.AbsoluteUri}|{options.PriceCatalogFile}|{options.RefreshPriceCatalog}|{options.PriceCatalogRefreshInterval.Ticks}");
        return _sources.GetOrAdd(key, static (_, s) => s.registry.Create(s.options), (registry: this, options));
    }

    public void Dispose()
    {
        foreach (var source in _sources.Values)
        {
            source.Dispose();
        }

        if (_http.IsValueCreated)
        {
            _http.Value.Dispose();
        }
    }

    private PriceCatalogSource Create(LlmMeterOptions options)
    {
        var initial = options.PriceCatalogFile is { Length: > 0 } file ? PriceCatalogSource.LoadFile(file) : ModelPriceCatalog.Empty;
        if (!options.RefreshPriceCatalog)
        {
            return new PriceCatalogSource(initial, null, null, Timeout.InfiniteTimeSpan, _time, _logger);
        }

        var modelsUri = new Uri(options.BaseAddress.AbsoluteUri.TrimEnd('/') + "/models");
        return new PriceCatalogSource(initial, modelsUri, _http.Value, options.PriceCatalogRefreshInterval, _time, _logger);
    }
}
