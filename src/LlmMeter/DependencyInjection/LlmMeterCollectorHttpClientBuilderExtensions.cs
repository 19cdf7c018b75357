using System.Diagnostics.Metrics;
using LlmMeter;
using LlmMeter.Sink.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Ships LlmMeter records to an LlmMeter collector.</summary>
public static class LlmMeterCollectorHttpClientBuilderExtensions
{
    /// <summary>
    /// Sends the records of every metered client in the container (see <c>AddLlmMeter</c>) to the collector at
    /// <paramref name="collector"/>, through one <see cref="LlmMeterCollectorSink"/> registered as an
    /// <see cref="ILlmCallSink"/>. Calls for other clients with the same collector reuse that sink (their
    /// <paramref name="configure"/> actions apply to it too); another collector gets its own. The sink takes its
    /// clock, meter factory and logger from the container, and the container's disposal flushes it.
    /// Options are named <c>LlmMeterCollector:{collector}</c> and validated at start.
    /// </summary>
    /// <param name="builder">The metered client.</param>
    /// <param name="collector">The collector's root, such as <c>http://127.0.0.1:5080</c>.</param>
    /// <param name="ingestKey">The collector's ingest key (keep it in configuration or a secret store).</param>
    /// <param name="configure">Changes to the defaults (buffer, batching, retries, timeouts).</param>
    /// <returns>The builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddHttpClient("openrouter", c => c.BaseAddress = new Uri("https://openrouter.ai/api/v1/"))
    ///     .AddLlmMeter(o => o.App = "search-api")
    ///     .AddLlmMeterCollector(
    ///         new Uri("http://llmmeter-collector:5080"),
    ///         builder.Configuration["LlmMeter:IngestKey"]!,
    ///         o => o.BufferCapacity = 50_000);
    /// </code>
    /// </example>
    public static IHttpClientBuilder AddLlmMeterCollector(
        this IHttpClientBuilder builder,
        Uri collector,
        string ingestKey,
        Action<LlmMeterCollectorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(collector);
        ArgumentNullException.ThrowIfNull(ingestKey);
        var services = builder.Services;
        var name = "LlmMeterCollector:" + collector;
        var options = services.AddOptions<LlmMeterCollectorOptions>(name).Configure(o =>
        {
            o.Collector = collector;
            o.IngestKey = ingestKey;
        });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmMeterCollectorOptions>, LlmMeterCollectorOptionsValidator>());

        // One sink per collector. TryAddEnumerable cannot tell two collectors apart (same implementation type),
        // so the sink is keyed by the collector and the ILlmCallSink entry is added once per key.
        var alreadyAdded = services.Any(d => d.IsKeyedService && d.ServiceType == typeof(LlmMeterCollectorSink) && Equals(d.ServiceKey, name));
        if (!alreadyAdded)
        {
            services.AddKeyedSingleton(name, static (sp, key) => Create(sp, (string)key!));
            services.AddSingleton<ILlmCallSink>(sp => sp.GetRequiredKeyedService<LlmMeterCollectorSink>(name));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<LlmMeterCollectorSink>(name));
        }

        return builder;
    }

    private static LlmMeterCollectorSink Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<LlmMeterCollectorOptions>>().Get(name);
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<LlmMeterCollectorSink>();
        return new LlmMeterCollectorSink(options, services.GetService<TimeProvider>(), services.GetService<IMeterFactory>(), logger);
    }
}
