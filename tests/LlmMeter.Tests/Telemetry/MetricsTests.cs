using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using WmRequest = WireMock.RequestBuilders.Request;
using WmResponse = WireMock.ResponseBuilders.Response;

namespace LlmMeter.Tests.Telemetry;

public sealed class MetricsTests : IDisposable
{
    private const string MeterName = "LlmMeter";
    private const string Duration = "gen_ai.client.operation.duration";
    private const string TokenUsage = "gen_ai.client.token.usage";
    private const string TimeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk";
    private const string Cost = "llmmeter.client.cost";
    private const string Requests = "llmmeter.client.requests";
    private const string SinkErrors = "llmmeter.client.sink_errors";
    private const string CaseHeader = "X-Test-Case";

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose()
    {
        _services.Dispose();
        _openRouter.Dispose();
    }

    [Fact]
    public async Task Duration_SuccessfulCalls_RecordedOncePerCallWithSemanticConventionAttributes()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o-2024-05-13"));
        using var duration = Collect<double>(Duration);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o"}""");
        await requests.WaitForMeasurementsAsync(1, s_wait);
        var record = await _sink.NextAsync();
        var measurement = Assert.Single(duration.GetMeasurementSnapshot());
        await PostAsync(http, """{"model":"openai/gpt-4o"}""");
        await requests.WaitForMeasurementsAsync(2, s_wait);

        Assert.Equal(2, duration.GetMeasurementSnapshot().Count);
        Assert.Equal(record.LatencyMs / 1000.0, measurement.Value, 6);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["gen_ai.operation.name"] = "chat",
                ["gen_ai.provider.name"] = "openrouter",
                ["gen_ai.request.model"] = "openai/gpt-4o",
                ["gen_ai.response.model"] = "openai/gpt-4o-2024-05-13",
                ["server.address"] = "127.0.0.1",
                ["server.port"] = _openRouter.ApiRoot.Port,
            },
            measurement.Tags);
    }

    [Theory]
    [InlineData(429, "rate_limited")]
    [InlineData(402, "insufficient_credits")]
    [InlineData(503, "no_provider")]
    public async Task Duration_HttpError_CarriesErrorType(int status, string errorType)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Error(status, "nope"), status);
        using var duration = Collect<double>(Duration);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        using var response = await http.PostAsync("chat/completions", Json("""{"model":"openai/gpt-4o"}"""));
        await response.Content.ReadAsStringAsync();
        await requests.WaitForMeasurementsAsync(1, s_wait);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var tags = Assert.Single(duration.GetMeasurementSnapshot()).Tags;
        Assert.Equal(errorType, tags["error.type"]);
        Assert.Equal("chat", tags["gen_ai.operation.name"]);
        Assert.Equal("openai/gpt-4o", tags["gen_ai.request.model"]);
        Assert.False(tags.ContainsKey("gen_ai.response.model"), "no model served");
        Assert.Equal("http_error", Assert.Single(requests.GetMeasurementSnapshot()).Tags["llmmeter.outcome"]);
    }

    [Fact]
    public async Task Duration_MidStreamErrorWithHttp200_CarriesErrorType()
    {
        _openRouter.Sse("chat/completions", OpenRouterSamples.StreamMidError("502"));
        using var duration = Collect<double>(Duration);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o","stream":true}""");
        await requests.WaitForMeasurementsAsync(1, s_wait);

        var tags = Assert.Single(duration.GetMeasurementSnapshot()).Tags;
        Assert.Equal("upstream_unavailable", tags["error.type"]);
        Assert.Equal("openai/gpt-4o", tags["gen_ai.response.model"]);
        Assert.Equal("stream_error", Assert.Single(requests.GetMeasurementSnapshot()).Tags["llmmeter.outcome"]);
    }

    [Fact]
    public async Task Duration_ServerUnreachable_CarriesNetworkErrorType()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var duration = Collect<double>(Duration);
        using var http = Metered.Client(new Uri($"http://127.0.0.1:{port}/api/v1/"), _sink, meterFactory: MeterFactory);

        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync("chat/completions", Json("""{"model":"openai/gpt-4o"}""")));
        await duration.WaitForMeasurementsAsync(1, s_wait);

        var tags = Assert.Single(duration.GetMeasurementSnapshot()).Tags;
        Assert.Equal("network_error", tags["error.type"]);
        Assert.Equal(port, tags["server.port"]);
    }

    [Fact]
    public void Histograms_Advice_MatchesTheSemanticConventionBuckets()
    {
        var published = new Dictionary<string, Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == MeterName && ReferenceEquals(instrument.Meter.Scope, MeterFactory))
                {
                    lock (published)
                    {
                        published[instrument.Name] = instrument;
                    }
                }
            },
        };
        using var http = Client(); // Creates the meter and its instruments.
        listener.Start();

        var duration = Assert.IsType<Histogram<double>>(published[Duration]);
        var ttfc = Assert.IsType<Histogram<double>>(published[TimeToFirstChunk]);
        var tokens = Assert.IsType<Histogram<long>>(published[TokenUsage]);
        double[] seconds = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
        long[] tokenCounts = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
        Assert.Equal(seconds, duration.Advice?.HistogramBucketBoundaries);
        Assert.Equal(seconds, ttfc.Advice?.HistogramBucketBoundaries);
        Assert.Equal(tokenCounts, tokens.Advice?.HistogramBucketBoundaries);
        Assert.Equal("s", duration.Unit);
        Assert.Equal("s", ttfc.Unit);
        Assert.Equal("{token}", tokens.Unit);
    }

    [Fact]
    public async Task TokenUsage_Chat_RecordsInputAndOutputWithTokenType()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", prompt: 321, completion: 45, cached: 20));
        using var tokens = Collect<long>(TokenUsage);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o"}""");
        await requests.WaitForMeasurementsAsync(1, s_wait);

        var measurements = tokens.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        var input = Assert.Single(measurements, m => Equals(m.Tags["gen_ai.token.type"], "input"));
        var output = Assert.Single(measurements, m => Equals(m.Tags["gen_ai.token.type"], "output"));
        Assert.Equal(321, input.Value); // Cached tokens included.
        Assert.Equal(45, output.Value);
        Assert.All(measurements, m =>
        {
            Assert.Equal("chat", m.Tags["gen_ai.operation.name"]);
            Assert.Equal("openrouter", m.Tags["gen_ai.provider.name"]);
            Assert.Equal("openai/gpt-4o", m.Tags["gen_ai.request.model"]);
            Assert.Equal("openai/gpt-4o", m.Tags["gen_ai.response.model"]);
            Assert.False(m.Tags.ContainsKey("error.type"));
        });
    }

    [Fact]
    public async Task TimeToFirstChunk_NonStreamingCall_IsNotRecorded()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var ttfc = Collect<double>(TimeToFirstChunk);
        using var duration = Collect<double>(Duration);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o"}""");
        await requests.WaitForMeasurementsAsync(1, s_wait);

        Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Empty(ttfc.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task TimeToFirstChunk_StreamedCall_RecordedOnceWithTheRecordsTtft()
    {
        _openRouter.Sse("chat/completions", OpenRouterSamples.StreamUsageOnEmptyChoices());
        using var ttfc = Collect<double>(TimeToFirstChunk);
        using var duration = Collect<double>(Duration);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o","stream":true}""");
        await requests.WaitForMeasurementsAsync(1, s_wait);

        var record = await _sink.SingleAsync();
        var measurement = Assert.Single(ttfc.GetMeasurementSnapshot());
        Assert.NotNull(record.TtftMs);
        Assert.Equal(record.TtftMs.Value / 1000.0, measurement.Value, 6);
        Assert.True(measurement.Value <= Assert.Single(duration.GetMeasurementSnapshot()).Value);
        Assert.Equal("chat", measurement.Tags["gen_ai.operation.name"]);
        Assert.Equal("openai/gpt-4o", measurement.Tags["gen_ai.response.model"]);
    }

    [Fact]
    public async Task Cost_ReportedCosts_AreSummed()
    {
        Answer("first", OpenRouterSamples.Chat("openai/gpt-4o", cost: "0.00123"));
        Answer("second", OpenRouterSamples.Chat("anthropic/claude-3.5-sonnet", provider: "Anthropic", cost: "0.002"));
        using var cost = Collect<double>(Cost);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o"}""", "first");
        await PostAsync(http, """{"model":"anthropic/claude-3.5-sonnet"}""", "second");
        await requests.WaitForMeasurementsAsync(2, s_wait);

        var measurements = cost.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.Equal(0.00323, measurements.EvaluateAsCounter(), 9);
        Assert.All(measurements, m =>
        {
            Assert.Equal("reported", m.Tags["llmmeter.cost_source"]);
            Assert.Equal("tests", m.Tags["llmmeter.app"]);
        });
        var claude = Assert.Single(measurements, m => Equals(m.Tags["gen_ai.response.model"], "anthropic/claude-3.5-sonnet"));
        Assert.Equal(0.002, claude.Value, 9);
        Assert.Equal("Anthropic", claude.Tags["llmmeter.provider"]);
    }

    [Fact]
    public async Task Requests_OutcomeAndFallback_AreAttributes()
    {
        Answer("direct", OpenRouterSamples.Chat("openai/gpt-4o"));
        Answer("fallback", OpenRouterSamples.Chat("anthropic/claude-3.5-sonnet", provider: "Anthropic"));
        Answer("limited", OpenRouterSamples.Error(429, "Rate limited"), 429);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o"}""", "direct");
        await PostAsync(http, """{"model":"openai/gpt-4o","models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"]}""", "fallback");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json("""{"model":"openai/gpt-4o"}""") })
        {
            request.Headers.Add(CaseHeader, "limited");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            await response.Content.ReadAsStringAsync();
        }

        await requests.WaitForMeasurementsAsync(3, s_wait);

        var measurements = requests.GetMeasurementSnapshot();
        Assert.Equal(3, measurements.Count);
        Assert.All(measurements, m => Assert.Equal(1, m.Value));
        Assert.Equal(3, measurements.EvaluateAsCounter());
        (string?, bool?, string?)[] expected = [("success", false, "openai/gpt-4o"), ("success", true, "anthropic/claude-3.5-sonnet"), ("http_error", false, null)];
        Assert.Equal(
            expected,
            measurements.Select(m => ((string?)m.Tags["llmmeter.outcome"], (bool?)m.Tags["llmmeter.fallback"], (string?)m.Tags["gen_ai.response.model"])));
        Assert.All(measurements, m =>
        {
            Assert.Equal("tests", m.Tags["llmmeter.app"]);
            Assert.Equal("openai/gpt-4o", m.Tags["gen_ai.request.model"]);
        });
    }

    [Fact]
    public async Task SinkErrors_ThrowingSink_CountedAndTheCallStillSucceeds()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var sinkErrors = Collect<long>(SinkErrors);
        using var requests = Collect<long>(Requests);
        using var http = Metered.Client(_openRouter.ApiRoot, new ThrowingSink(), meterFactory: MeterFactory);

        using var response = await http.PostAsync("chat/completions", Json("""{"model":"openai/gpt-4o"}"""));
        var body = await response.Content.ReadAsStringAsync();
        await requests.WaitForMeasurementsAsync(1, s_wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OpenRouterSamples.Chat("openai/gpt-4o"), body);
        Assert.Equal(1, Assert.Single(sinkErrors.GetMeasurementSnapshot()).Value);
        Assert.Equal("success", Assert.Single(requests.GetMeasurementSnapshot()).Tags["llmmeter.outcome"]);
    }

    [Fact]
    public async Task SinkErrors_HealthySink_NothingCounted()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var sinkErrors = Collect<long>(SinkErrors);
        using var requests = Collect<long>(Requests);
        using var http = Client();

        await PostAsync(http, """{"model":"openai/gpt-4o"}""");
        await requests.WaitForMeasurementsAsync(1, s_wait);

        Assert.Single(_sink.Records);
        Assert.Empty(sinkErrors.GetMeasurementSnapshot());
    }

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct => new(MeterFactory, MeterName, instrument);

    private HttpClient Client() => Metered.Client(_openRouter.ApiRoot, _sink, meterFactory: MeterFactory);

    /// <summary>Answers chat requests that carry the <see cref="CaseHeader"/> <paramref name="testCase"/>.</summary>
    private void Answer(string testCase, string body, int status = 200) =>
        _openRouter.Server
            .Given(WmRequest.Create().WithPath("/api/v1/chat/completions").UsingPost().WithHeader(CaseHeader, testCase))
            .RespondWith(WmResponse.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));

    private static async Task PostAsync(HttpClient http, string json, string? testCase = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(json) };
        if (testCase is not null)
        {
            request.Headers.Add(CaseHeader, testCase);
        }

        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class ThrowingSink : ILlmCallSink
    {
        public void Record(LlmCallRecord call) => throw new InvalidOperationException("sink is broken");
    }
}
