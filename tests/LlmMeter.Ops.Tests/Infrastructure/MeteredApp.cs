using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Policy;
using WireMock;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// OpenRouter's <c>POST /api/v1/chat/completions</c> on WireMock.Net, answering with the model it was asked for and
/// a cost per model as <c>usage.cost</c>; it keeps the model of every body it received.
/// </summary>
internal sealed class OpenRouterStub : IDisposable
{
    private readonly ConcurrentQueue<string> _models = new();
    private readonly IReadOnlyDictionary<string, decimal> _costs;

    public OpenRouterStub(IReadOnlyDictionary<string, decimal> costs)
    {
        _costs = costs;
        Server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        ApiRoot = new Uri(Server.Url!.TrimEnd('/') + "/api/v1/");
        Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/api/v1/chat/completions").UsingPost()).RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(Answer));
    }

    public WireMockServer Server { get; }

    public Uri ApiRoot { get; }

    /// <summary>The <c>model</c> of each request body OpenRouter received, oldest first.</summary>
    public IReadOnlyList<string> Models => [.. _models];

    public void Dispose() => Server.Stop();

    private ResponseMessage Answer(IRequestMessage request)
    {
        using var body = JsonDocument.Parse(request.Body ?? "{}");
        var model = body.RootElement.GetProperty("model").GetString() ?? string.Empty;
        _models.Enqueue(model);
        var cost = _costs.GetValueOrDefault(model);
        var answer = string.Create(CultureInfo.InvariantCulture, $$$"""
            {"id":"gen-ops-{{{Guid.NewGuid():N}}}","object":"chat.completion","created":1785175967,"model":"{{{model}}}","provider":"OpenAI",
             "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi."}}],
             "usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"cost":{{{cost}}}}}
            """);
        var response = new ResponseMessage { StatusCode = 200 };
        response.AddHeader("Content-Type", "application/json");
        response.BodyData = new BodyData { BodyAsString = answer, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        return response;
    }
}

/// <summary>
/// An application as users build it: <see cref="LlmMeterHandler"/> in front of OpenRouter, following the collector's
/// routing policy (<see cref="LlmMeterPolicy"/>) and shipping its records with <see cref="LlmMeterCollectorSink"/>.
/// </summary>
internal sealed class MeteredApp : IAsyncDisposable
{
    private readonly LlmMeterCollectorSink _sink;
    private readonly HttpClient _client;

    public MeteredApp(CollectorHost collector, OpenRouterStub openRouter, string app)
    {
        Policy = new LlmMeterPolicy(new LlmMeterPolicyOptions { Collector = collector.BaseAddress, ReadKey = CollectorHost.ReadKey, IngestLag = TimeSpan.Zero });
        _sink = new LlmMeterCollectorSink(new LlmMeterCollectorOptions
        {
            Collector = collector.BaseAddress,
            IngestKey = CollectorHost.IngestKey,
            FlushInterval = TimeSpan.FromMilliseconds(20),
        });
        var options = new LlmMeterOptions { App = app, BaseAddress = openRouter.ApiRoot, RefreshPriceCatalog = false, Policy = Policy };
        _client = new HttpClient(new LlmMeterHandler(options, _sink) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = openRouter.ApiRoot };
    }

    public LlmMeterPolicy Policy { get; }

    /// <summary>A chat completion through the handler, as an SDK would send it; returns the HTTP status.</summary>
    public async Task<int> ChatAsync(string model)
    {
        using var content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Say hi."}]}""", Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(new Uri("chat/completions", UriKind.Relative), content);
        await response.Content.ReadAsStringAsync();
        return (int)response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _sink.DisposeAsync();
        await Policy.DisposeAsync();
    }
}
