using LlmMeter;
using LlmMeter.Policy;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds budget-aware routing to a client metered with <c>AddLlmMeter</c>.</summary>
public static class LlmMeterPolicyHttpClientBuilderExtensions
{
    /// <summary>
    /// Applies the collector's routing policy to this client's calls: polled from <c>GET {collector}/v1/policy</c>
    /// every 5 s (see <see cref="LlmMeterPolicyOptions"/>), decided per call before it goes out. One poller per
    /// collector is shared by every client of the container and stopped with it.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddHttpClient("openrouter")
    ///     .AddLlmMeter(o => o.App = "search-api")
    ///     .AddLlmMeterPolicy(new Uri("http://collector:5080/"), readKey);
    /// </code>
    /// </example>
    public static IHttpClientBuilder AddLlmMeterPolicy(this IHttpClientBuilder builder, Uri collector, string? readKey, Action<LlmMeterPolicyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(collector);
        var key = "llmmeter-policy:" + collector.AbsoluteUri;
        builder.Services.AddKeyedSingleton(key, (sp, _) =>
        {
            var options = new LlmMeterPolicyOptions { Collector = collector, ReadKey = readKey };
            configure?.Invoke(options);
            return new LlmMeterPolicy(options, sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()?.CreateLogger("LlmMeter.Policy"));
        });
        builder.Services.AddOptions<LlmMeterOptions>(builder.Name)
            .Configure<IServiceProvider>((options, sp) => options.Policy = sp.GetRequiredKeyedService<LlmMeterPolicy>(key));
        return builder;
    }
}
