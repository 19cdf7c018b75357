using System.Diagnostics.Metrics;

namespace LlmMeter.Tests.Infrastructure;

/// <summary>Builds an <see cref="HttpClient"/> with the handler in front of a real socket handler.</summary>
public static class Metered
{
    public static HttpClient Client(
        Uri baseAddress,
        ILlmCallSink sink,
        Action<LlmMeterOptions>? configure = null,
        IMeterFactory? meterFactory = null,
        TimeProvider? time = null)
    {
        var options = Options(baseAddress, configure);
        var handler = new LlmMeterHandler(options, sink, meterFactory, time) { InnerHandler = new SocketsHttpHandler() };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public static LlmMeterOptions Options(Uri baseAddress, Action<LlmMeterOptions>? configure = null)
    {
        var options = new LlmMeterOptions
        {
            App = "tests",
            BaseAddress = baseAddress,
            RefreshPriceCatalog = false,
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>The API root of a WireMock server, as OpenRouter's <c>/api/v1/</c>.</summary>
    public static Uri ApiRoot(string serverUrl) => new(serverUrl.TrimEnd('/') + "/api/v1/");
}
