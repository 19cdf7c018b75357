namespace LlmMeter.Collector.Metrics;

internal static class MetricsExtensions
{
    public static IServiceCollection AddCollectorMetrics(this IServiceCollection services) => services; // TODO(metrics helper)

    public static WebApplication MapCollectorMetrics(this WebApplication app) => app; // TODO(metrics helper)
}
