using System.Diagnostics.Metrics;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace LlmMeter.Tests.Responses;

/// <summary>A Responses API call on the GenAI metrics: a <c>chat</c> operation, with its tokens and time to first chunk.</summary>
public sealed class ResponsesTelemetryTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        _openRouter.Dispose();
    }

    [Fact]
    public async Task Record_ResponsesStream_OperationNameIsChatWithTokensAndTimeToFirstChunk()
    {
        _openRouter.Sse("responses", ResponsesSamples.Stream());
        var factory = _services.GetRequiredService<IMeterFactory>();
        using var duration = new MetricCollector<double>(factory, "LlmMeter", "gen_ai.client.operation.duration");
        using var tokens = new MetricCollector<long>(factory, "LlmMeter", "gen_ai.client.token.usage");
        using var firstChunk = new MetricCollector<double>(factory, "LlmMeter", "gen_ai.client.operation.time_to_first_chunk");
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, meterFactory: factory);

        await ResponsesScannerTests.PostAsync(http, ResponsesSamples.StreamRequest);
        await duration.WaitForMeasurementsAsync(1, s_wait);
        await tokens.WaitForMeasurementsAsync(2, s_wait);

        var measurement = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal("chat", measurement.Tags["gen_ai.operation.name"]);
        Assert.Equal(ResponsesSamples.ServedModel, measurement.Tags["gen_ai.response.model"]);
        Assert.Equal(
            [("input", 21L), ("output", 30L)],
            tokens.GetMeasurementSnapshot().Select(m => ((string)m.Tags["gen_ai.token.type"]!, m.Value)).Order());
        Assert.Single(firstChunk.GetMeasurementSnapshot());
    }
}
