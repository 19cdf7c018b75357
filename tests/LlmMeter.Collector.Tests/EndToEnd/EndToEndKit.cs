using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Tests.Exporter;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using LlmMeter.Policy;
using WireMock;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace LlmMeter.Collector.Tests.EndToEnd;

/// <summary>
/// OpenRouter's <c>POST /api/v1/chat/completions</c> on WireMock.Net: answers each call with a new generation id, the
/// model it was asked for and <see cref="CostUsd"/> as <c>usage.cost</c>, and keeps the bodies as received.
/// </summary>
internal sealed class OpenRouterStub : IDisposable
{
    private readonly ConcurrentQueue<string> _bodies = new();
    private int _next;

    public OpenRouterStub()
    {
        Server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        ApiRoot = new Uri(Server.Url!.TrimEnd('/') + "/api/v1/");
        Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/api/v1/chat/completions").UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(Answer));
    }

    public WireMockServer Server { get; }

    public Uri ApiRoot { get; }

    /// <summary>What each answer reports as <c>usage.cost</c>.</summary>
    public decimal CostUsd { get; set; } = 0.00123m;

    /// <summary>The request bodies OpenRouter received, oldest first (kept before answering).</summary>
    public IReadOnlyList<string> Bodies => [.. _bodies];

    /// <summary>The <c>model</c> of each body received.</summary>
    public IReadOnlyList<string?> Models => [.. Bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("model").GetString())];

    public void Dispose() => Server.Stop();

    private ResponseMessage Answer(IRequestMessage request)
    {
        var body = request.Body ?? string.Empty;
        _bodies.Enqueue(body);
        var model = JsonDocument.Parse(body).RootElement.GetProperty("model").GetString();
        var id = string.Create(CultureInfo.InvariantCulture, $"gen-e2e-{Interlocked.Increment(ref _next)}-{Guid.NewGuid():N}");
        var cost = model is not null && model.EndsWith(":free", StringComparison.Ordinal) ? 0m : CostUsd;
        var answer = string.Create(CultureInfo.InvariantCulture, $$$"""
            {"id":"{{{id}}}","object":"chat.completion","created":1785175967,"model":"{{{model}}}","provider":"OpenAI",
             "choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","message":{"role":"assistant","content":"Hi."}}],
             "usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"cost":{{{cost}}},
               "prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}
            }
            """);
        var response = new ResponseMessage { StatusCode = 200 };
        response.AddHeader("Content-Type", "application/json");
        response.BodyData = new BodyData { BodyAsString = answer, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        return response;
    }
}

/// <summary>
/// An application as users build it: the real <see cref="LlmMeterHandler"/> in front of OpenRouter, polling the
/// collector's policy and exporting its records to the same collector with <see cref="LlmMeterCollectorSink"/>.
/// </summary>
internal sealed class MeteredApp : IAsyncDisposable
{
    public const string App = "search-api";
    public const string Team = "search";

    private readonly LlmMeterCollectorSink _sink;

    public MeteredApp(CollectorHost collector, OpenRouterStub openRouter)
    {
        Collector = collector;
        Policy = new LlmMeterPolicy(new LlmMeterPolicyOptions
        {
            Collector = collector.BaseAddress,
            ReadKey = CollectorHost.ReadKey,
            PollInterval = TimeSpan.FromMilliseconds(100),
            IngestLag = TimeSpan.Zero, // The tests wait for the records to be stored before they refresh the policy.
        });
        _sink = new LlmMeterCollectorSink(ExporterKit.Options(collector.BaseAddress));
        var options = new LlmMeterOptions { App = App, BaseAddress = openRouter.ApiRoot, RefreshPriceCatalog = false, Policy = Policy };
        options.DefaultTags["team"] = Team;
        Client = new HttpClient(new LlmMeterHandler(options, _sink) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = openRouter.ApiRoot,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public CollectorHost Collector { get; }

    public LlmMeterPolicy Policy { get; }

    public HttpClient Client { get; }

    /// <summary>A chat completion through the meter, as an SDK would send it.</summary>
    public async Task<(int Status, JsonElement Body)> ChatAsync(string model)
    {
        using var content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Say hi."}]}""", Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync(new Uri("chat/completions", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>The record of a call as the collector stored it (waits for the exporter).</summary>
    public async Task<JsonElement> StoredCallAsync(string id)
    {
        using var read = Collector.Client(CollectorHost.ReadKey);
        var text = await WaitFor.ValueAsync(
            async () =>
            {
                using var response = await read.GetAsync(new Uri("v1/calls/" + Uri.EscapeDataString(id), UriKind.Relative));
                return response.StatusCode == System.Net.HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
            },
            found => found is not null,
            $"call {id} to reach the collector");
        using var document = JsonDocument.Parse(text!);
        return document.RootElement.Clone();
    }

    /// <summary>Every stored call of <paramref name="outcome"/> from this app (waits until there are <paramref name="count"/>).</summary>
    public async Task<JsonElement[]> StoredCallsAsync(string outcome, int count)
    {
        using var read = Collector.Client(CollectorHost.ReadKey);
        return await WaitFor.ValueAsync(
            async () => (await Api.Api.GetJsonAsync(read, $"v1/calls?app={App}&outcome={outcome}")).GetProperty("calls").EnumerateArray().ToArray(),
            calls => calls.Length >= count,
            $"{count} {outcome} calls at the collector");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _sink.DisposeAsync();
        await Policy.DisposeAsync();
    }
}
