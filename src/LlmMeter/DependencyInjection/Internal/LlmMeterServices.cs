using System.Diagnostics.Metrics;
using LlmMeter.Internal;
using LlmMeter.Pricing.Internal;
using LlmMeter.Telemetry.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmMeter.DependencyInjection.Internal;

/// <summary>
/// The container's LlmMeter state: one set of instruments, one price catalog per base address, the sinks.
/// IHttpClientFactory rebuilds handlers every few minutes; they all share this.
/// </summary>
internal sealed class LlmMeterServices : IDisposable
{
    private readonly IServiceProvider _services;
    private readonly IOptionsMonitor<LlmMeterOptions> _options;
    private readonly TimeProvider _time;
    private readonly LlmMeterMetrics _metrics;
    private readonly PriceCatalogRegistry _prices;
    private readonly ILogger _logger;
    private ILlmCallSink[]? _sinks;

    public LlmMeterServices(IServiceProvider services, IOptionsMonitor<LlmMeterOptions> options, TimeProvider time)
    {
        _services = services;
        _options = options;
        _time = time;
        _metrics = new LlmMeterMetrics(services.GetService<IMeterFactory>());
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("LlmMeter");
        _prices = new PriceCatalogRegistry(time, loggerFactory);
    }

    public LlmMeterHandler CreateHandler(string name)
    {
        var options = _options.Get(name);
        _sinks ??= [.. _services.GetServices<ILlmCallSink>()];
        return new LlmMeterHandler(new MeterCore(options, _sinks, _metrics, _time, _prices.GetOrCreate(options), _logger));
    }

    public void Dispose() => _prices.Dispose();
}
