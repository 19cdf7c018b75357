using System.Diagnostics;
using System.Text;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmMeter.Tests.DependencyInjection;

public sealed class AddLlmMeterTests : IDisposable
{
    private const string ChatBody = """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

    private readonly FakeOpenRouter _openRouter = new();

    public void Dispose() => _openRouter.Dispose();

    [Fact]
    public async Task AddLlmMeter_TwoSinksRegistered_EachReceivesTheRecordExactlyOnce()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", id: "gen-di-1"));
        var first = new CollectingSink();
        var second = new CollectingSink();
        var services = new ServiceCollection();
        services.AddSingleton<ILlmCallSink>(first);
        services.AddSingleton<ILlmCallSink>(second);
        AddMeteredClient(services, "openrouter", "di-app");
        using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter");

        await PostChatAsync(http);

        var a = await first.SingleAsync();
        var b = await second.SingleAsync();
        Assert.Equal("gen-di-1", a.Id);
        Assert.Equal("di-app", a.App);
        Assert.Same(a, b);
    }

    [Fact]
    public async Task AddLlmMeter_TwoNamedClients_EachUsesTheOptionsOfItsName()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        var sink = new CollectingSink();
        var services = new ServiceCollection();
        services.AddSingleton<ILlmCallSink>(sink);
        AddMeteredClient(services, "search", "search-app", o => o.DefaultTags["team"] = "search-team");
        AddMeteredClient(services, "chat", "chat-app");
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        await PostChatAsync(factory.CreateClient("search"));
        var fromSearch = await sink.NextAsync();
        await PostChatAsync(factory.CreateClient("chat"));
        var fromChat = await sink.NextAsync();

        Assert.Equal("search-app", fromSearch.App);
        Assert.Equal("search-team", fromSearch.Tags["team"]);
        Assert.Equal("chat-app", fromChat.App);
        Assert.False(fromChat.Tags.ContainsKey("team"));
        Assert.Equal(2, sink.Records.Count);
    }

    [Fact]
    public async Task AddLlmMeter_OtherClientInTheContainer_IsNotMetered()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        var sink = new CollectingSink();
        var services = new ServiceCollection();
        services.AddSingleton<ILlmCallSink>(sink);
        AddMeteredClient(services, "metered", "metered-app");
        services.AddHttpClient("plain", c => c.BaseAddress = _openRouter.ApiRoot)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler());
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        await PostChatAsync(factory.CreateClient("plain"));
        await PostChatAsync(factory.CreateClient("metered"));

        var record = await sink.SingleAsync();
        Assert.Equal("metered-app", record.App);
        Assert.Equal(2, _openRouter.Server.LogEntries.Count());
    }

    [Theory]
    [InlineData("App")]
    [InlineData("BaseAddress")]
    public void AddLlmMeter_InvalidOption_CreatingTheClientThrowsNamingTheOption(string option)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILlmCallSink>(new CollectingSink());
        AddMeteredClient(services, "openrouter", "valid-app", o =>
        {
            if (option == "App")
            {
                o.App = "";
            }
            else
            {
                o.BaseAddress = new Uri("api/v1/", UriKind.Relative);
            }
        });
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        var ex = Assert.Throws<OptionsValidationException>(() => factory.CreateClient("openrouter"));

        Assert.Equal("openrouter", ex.OptionsName);
        Assert.Equal(typeof(LlmMeterOptions), ex.OptionsType);
        var failure = Assert.Single(ex.Failures);
        Assert.Contains("LlmMeterOptions." + option, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLlmMeter_HandlerRotation_NewHandlerReusesTheFetchedPriceCatalog()
    {
        _openRouter.Models(OpenRouterSamples.Models);

        // No reported cost: the record is priced from the /models catalog (100 * 0.0000025 + 50 * 0.00001).
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", cost: null));
        var sink = new CollectingSink();
        var built = 0;
        var services = new ServiceCollection();
        services.AddSingleton<ILlmCallSink>(sink);
        services.AddHttpClient("openrouter", c => c.BaseAddress = _openRouter.ApiRoot)
            .AddLlmMeter(o =>
            {
                o.App = "rotation";
                o.BaseAddress = _openRouter.ApiRoot;
                o.RefreshPriceCatalog = true;
            })
            .AddHttpMessageHandler(() =>
            {
                Interlocked.Increment(ref built);
                return new PassThroughHandler();
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler())
            .SetHandlerLifetime(TimeSpan.FromSeconds(1)); // The factory's minimum.
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        // The first handler starts the background fetch; wait until its calls are priced from the catalog.
        var firstClient = factory.CreateClient("openrouter");
        await WaitUntilAsync(async () =>
        {
            await PostChatAsync(firstClient);
            return (await sink.NextAsync()).CostSource == LlmCostSource.Estimated;
        });
        Assert.Equal(1, Volatile.Read(ref built));

        // Wait for the factory to build a new handler chain.
        HttpClient? rotated = null;
        await WaitUntilAsync(() =>
        {
            rotated = factory.CreateClient("openrouter");
            return Task.FromResult(Volatile.Read(ref built) >= 2);
        });

        await PostChatAsync(rotated!);
        var record = await sink.NextAsync();

        // The very first call of the new handler is priced at once: it shares the catalog, not refetches it.
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal(0.00075m, record.CostUsd);
        Assert.Equal("rotation", record.App);
        Assert.Equal(1, _openRouter.Server.LogEntries.Count(e => e.RequestMessage.Path == "/api/v1/models"));
    }

    private IHttpClientBuilder AddMeteredClient(IServiceCollection services, string name, string app, Action<LlmMeterOptions>? configure = null) =>
        services.AddHttpClient(name, c => c.BaseAddress = _openRouter.ApiRoot)
            .AddLlmMeter(o =>
            {
                o.App = app;
                o.BaseAddress = _openRouter.ApiRoot;
                o.RefreshPriceCatalog = false;
                configure?.Invoke(o);
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler());

    private static async Task PostChatAsync(HttpClient http)
    {
        using var response = await http.PostAsync("chat/completions", new StringContent(ChatBody, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    /// <summary>Re-checks <paramref name="condition"/> until it holds (10 s at most, then fails).</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "The condition did not hold within 10 s.");
            await Task.Delay(20);
        }
    }

    private sealed class PassThroughHandler : DelegatingHandler;
}
