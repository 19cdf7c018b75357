using System.Collections.ObjectModel;
using LlmMeter.Pricing.Internal;
using LlmMeter.Telemetry.Internal;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Internal;

/// <summary>
/// Everything a handler needs, fixed at construction from validated options. Shared by every call the
/// handler meters; immutable, so calls never contend on it.
/// </summary>
internal sealed class MeterCore
{
    private readonly string _scheme;
    private readonly string _host;
    private readonly int _port;
    private readonly string _pathPrefix;

    public MeterCore(
        LlmMeterOptions options,
        ILlmCallSink[] sinks,
        LlmMeterMetrics metrics,
        TimeProvider time,
        PriceCatalogSource prices,
        ILogger logger)
    {
        App = options.App;
        var baseAddress = options.BaseAddress;
        _scheme = baseAddress.Scheme;
        _host = baseAddress.IdnHost;
        _port = baseAddress.Port;
        _pathPrefix = baseAddress.AbsolutePath.TrimEnd('/');
        DefaultTags = options.DefaultTags.Count == 0
            ? LlmMeterContext.EmptyTags
            : new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(options.DefaultTags, StringComparer.Ordinal));
        RequestRoutingMetadata = options.RequestRoutingMetadata;
        Policy = options.Policy?.State;
        Sinks = sinks;
        Metrics = metrics;
        Time = time;
        Prices = prices;
        Logger = logger;
    }

    public string App { get; }

    public IReadOnlyDictionary<string, string> DefaultTags { get; }

    public bool RequestRoutingMetadata { get; }

    /// <summary>The routing policy in force, or null without routing.</summary>
    public Policy.Internal.PolicyState? Policy { get; }

    public ILlmCallSink[] Sinks { get; }

    public LlmMeterMetrics Metrics { get; }

    public TimeProvider Time { get; }

    public PriceCatalogSource Prices { get; }

    public ILogger Logger { get; }

    /// <summary>POST requests under the base address are metered; the endpoint comes from the rest of the path.</summary>
    public bool TryMatch(HttpRequestMessage request, out string endpoint)
    {
        endpoint = LlmEndpoints.Other;
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri || request.Method != HttpMethod.Post
            || uri.Port != _port
            || !string.Equals(uri.Scheme, _scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(uri.IdnHost, _host, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var path = uri.AbsolutePath.AsSpan();
        if (!path.StartsWith(_pathPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path[_pathPrefix.Length..];
        if (!rest.IsEmpty && rest[0] != '/')
        {
            return false; // "/api/v10" is not under "/api/v1".
        }

        rest = rest.TrimEnd('/');
        endpoint = rest switch
        {
            "/chat/completions" => LlmEndpoints.ChatCompletions,
            "/completions" => LlmEndpoints.Completions,
            "/embeddings" => LlmEndpoints.Embeddings,
            "/responses" => LlmEndpoints.Responses,
            _ => LlmEndpoints.Other,
        };
        return true;
    }

    public void MeterFailed(Exception exception)
    {
        Metrics.MeterFailed();
        Log.MeterFailed(Logger, exception);
    }

    public void Emit(LlmCallRecord record)
    {
        try
        {
            Policy?.OnRecord(record); // Budgets count this process's calls between polls.
        }
        catch (Exception ex)
        {
            MeterFailed(ex);
        }

        foreach (var sink in Sinks)
        {
            try
            {
                sink.Record(record);
            }
            catch (Exception ex)
            {
                Metrics.SinkFailed();
                Log.SinkFailed(Logger, sink.GetType().Name, ex);
            }
        }
    }
}
