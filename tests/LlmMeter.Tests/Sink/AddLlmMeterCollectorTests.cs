using System.Text;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmMeter.Tests.Sink;

public sealed class AddLlmMeterCollectorTests : SinkTestKit
{
    private const string ChatBody = """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

    private readonly FakeOpenRouter _openRouter = new();

    public override async Task DisposeAsync()
    {
        _openRouter.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task AddLlmMeterCollector_MeteredCall_RecordReachesTheCollector()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", id: "gen-di-collector-1"));
        var services = new ServiceCollection();
        AddClient(services, "openrouter", "di-app", o => o.FlushInterval = TimeSpan.FromMilliseconds(50));
        await using var provider = services.BuildServiceProvider();

        await PostChatAsync(provider.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"));
        await Collector.WaitForStoredAsync(["gen-di-collector-1"]);

        var request = Assert.Single(Collector.Requests);
        var record = Assert.Single(request.Records);
        Assert.Equal("di-app", record.App);
        Assert.Equal("openai/gpt-4o", record.ServedModel);
        Assert.Equal("Bearer " + Key, request.Authorization);
    }

    [Fact]
    public async Task AddLlmMeterCollector_ProviderDisposed_FlushesWhatIsBuffered()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", id: "gen-di-flush-1"));
        var services = new ServiceCollection();
        AddClient(services, "openrouter", "di-app"); // Hour-long interval: only disposal sends.
        var provider = services.BuildServiceProvider();
        await PostChatAsync(provider.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"));
        Assert.Empty(Collector.Requests);

        await provider.DisposeAsync();

        Assert.Equal(["gen-di-flush-1"], Assert.Single(Collector.Requests).Ids);
    }

    [Fact]
    public async Task AddLlmMeterCollector_TwoClientsOneCollector_ShareOneSinkAndBothConfigurationsApply()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        var services = new ServiceCollection();
        AddClient(services, "search", "search-app", o => o.BatchSize = 2);
        AddClient(services, "chat", "chat-app");
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        await PostChatAsync(factory.CreateClient("search"));
        await PostChatAsync(factory.CreateClient("chat"));
        await Collector.WaitForRequestsAsync(1);

        var sink = Assert.Single(provider.GetServices<ILlmCallSink>());
        Assert.Same(sink, provider.GetRequiredService<LlmMeterCollectorSink>());

        // One batch of two (the first call's batch size applies to the shared sink) holding both apps' records.
        var request = Assert.Single(Collector.Requests);
        Assert.Equal(["chat-app", "search-app"], request.Records.Select(r => r.App).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AddLlmMeterCollector_TwoCollectors_EachGetsItsOwnSinkAndEveryRecord()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", id: "gen-di-two-1"));
        await using var other = await StubCollector.StartAsync();
        var services = new ServiceCollection();
        AddClient(services, "openrouter", "di-app", o => o.BatchSize = 1)
            .AddLlmMeterCollector(other.Address, "other-key", o => o.BatchSize = 1);
        await using var provider = services.BuildServiceProvider();

        await PostChatAsync(provider.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"));
        await Collector.WaitForStoredAsync(["gen-di-two-1"]);
        await other.WaitForStoredAsync(["gen-di-two-1"]);

        Assert.Equal(2, provider.GetServices<ILlmCallSink>().Distinct().Count());
        Assert.Equal("Bearer other-key", Assert.Single(other.Requests).Authorization);
        Assert.Equal("Bearer " + Key, Assert.Single(Collector.Requests).Authorization);
    }

    [Fact]
    public void AddLlmMeterCollector_InvalidOption_ResolvingTheSinkThrowsNamingTheOption()
    {
        var services = new ServiceCollection();
        AddClient(services, "openrouter", "di-app", o => o.BatchSize = 0);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LlmMeterCollectorSink>());

        Assert.Equal(typeof(LlmMeterCollectorOptions), ex.OptionsType);
        Assert.Contains("LlmMeterCollectorOptions.BatchSize", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    private IHttpClientBuilder AddClient(IServiceCollection services, string name, string app, Action<LlmMeterCollectorOptions>? configure = null) =>
        services.AddHttpClient(name, c => c.BaseAddress = _openRouter.ApiRoot)
            .AddLlmMeter(o =>
            {
                o.App = app;
                o.BaseAddress = _openRouter.ApiRoot;
                o.RefreshPriceCatalog = false;
            })
            .AddLlmMeterCollector(Collector.Address, Key, o =>
            {
                o.FlushInterval = TimeSpan.FromHours(1);
                configure?.Invoke(o);
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler());

    private static async Task PostChatAsync(HttpClient http)
    {
        using var response = await http.PostAsync("chat/completions", new StringContent(ChatBody, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }
}
