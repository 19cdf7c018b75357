using System.Diagnostics.Metrics;
using LlmMeter.Collector.Auth;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace LlmMeter.Collector.Metrics;

internal static class MetricsExtensions
{
    /// <summary>The Prometheus scrape path.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>Registers <see cref="CollectorMetrics"/> and the OpenTelemetry Prometheus exporter for its meter.</summary>
    public static IServiceCollection AddCollectorMetrics(this IServiceCollection services)
    {
        services.AddSingleton<CollectorMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("llmmeter-collector", autoGenerateServiceInstanceId: false))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(CollectorMetrics.MeterName)
                    .AddPrometheusExporter(prometheus =>
                    {
                        prometheus.ScrapeEndpointPath = ScrapePath;
                        // Scrapes see the current values (the default caches 300 ms); a scrape is cheap.
                        prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                        // Only the documented labels on every series; the meter is known from the metric names.
                        prometheus.ScopeInfoEnabled = false;
                    });
                // MeterListeners are process-wide: keep only this host's meter (the one its IMeterFactory made),
                // so several collectors in one process (the tests) never count each other's records.
                ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
                {
                    var factory = provider.GetRequiredService<IMeterFactory>();
                    builder.AddView(instrument =>
                        instrument.Meter.Name == CollectorMetrics.MeterName && !ReferenceEquals(instrument.Meter.Scope, factory)
                            ? MetricStreamConfiguration.Drop
                            : null);
                });
            });
        return services;
    }

    /// <summary>
    /// Maps <c>GET /metrics</c> (Prometheus text format). With keys configured it needs the metrics, read or admin key
    /// as a bearer token (Prometheus' <c>authorization.credentials_file</c>): the series carry spend by app, team and model.
    /// </summary>
    public static WebApplication MapCollectorMetrics(this WebApplication app)
    {
        // Created now, not at the first ingest, so the ingest counters are exported (as 0) from the first scrape.
        _ = app.Services.GetRequiredService<CollectorMetrics>();
        // The scrape endpoint is a plain request delegate (endpoint filters do not run): check the key in its branch.
        app.MapPrometheusScrapingEndpoint(ScrapePath, meterProvider: null, configureBranchedPipeline: branch => branch.UseKey(KeyScope.Metrics), optionsName: null);
        return app;
    }
}
