using LlmMeter;
using LlmMeter.DependencyInjection.Internal;
using LlmMeter.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds LlmMeter to an <see cref="IHttpClientBuilder"/>.</summary>
public static class LlmMeterHttpClientBuilderExtensions
{
    /// <summary>
    /// Meters every OpenRouter call of this client. Every <see cref="ILlmCallSink"/> registered in the container
    /// receives the records; metrics go to the container's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>.
    /// Options are bound to the client's name and validated at start.
    /// </summary>
    /// <remarks>
    /// Add it before a resilience handler to get one record per logical call, after it to get one per attempt.
    /// </remarks>
    public static IHttpClientBuilder AddLlmMeter(this IHttpClientBuilder builder, Action<LlmMeterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = builder.Name;
        var options = builder.Services.AddOptions<LlmMeterOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmMeterOptions>, LlmMeterOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<LlmMeterServices>();
        builder.AddHttpMessageHandler(sp => sp.GetRequiredService<LlmMeterServices>().CreateHandler(name));
        return builder;
    }
}
