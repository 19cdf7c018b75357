using System.Text;
using LlmMeter.Pricing;
using LlmMeter.Pricing.Internal;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Pricing;

public sealed class PriceCatalogTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Fact]
    public void Parse_OpenRouterModels_ReadsStringPricesPerToken()
    {
        var catalog = ModelPriceCatalog.Parse(Encoding.UTF8.GetBytes(OpenRouterSamples.Models));

        Assert.Equal(3, catalog.Count); // gpt-4o, its canonical slug, claude; openrouter/auto (-1) is not priced.
        Assert.True(catalog.TryGetPrice("openai/gpt-4o", out var gpt));
        Assert.Equal(0.0000025m, gpt.Prompt);
        Assert.Equal(0.00001m, gpt.Completion);
        Assert.Equal(0.00000125m, gpt.InputCacheRead);
        Assert.True(catalog.TryGetPrice("openai/gpt-4o-2024-05-13", out _));
        Assert.True(catalog.TryGetPrice("openai/gpt-4o:nitro", out _));
        Assert.False(catalog.TryGetPrice("openrouter/auto", out _));
        Assert.False(catalog.TryGetPrice("unknown/model", out _));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"models":[]}""")]
    public void Parse_WrongShape_ThrowsFormatException(string json) =>
        Assert.Throws<FormatException>(() => ModelPriceCatalog.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Cost_WithCacheAndReasoning_UsesEachPrice()
    {
        var price = new ModelPrice(Prompt: 0.000003m, Completion: 0.000015m, Request: 0.001m, InputCacheRead: 0.0000003m, InputCacheWrite: 0.00000375m, InternalReasoning: 0.00002m);

        // 1000 input of which 200 cached and 100 written; 500 output of which 100 reasoning.
        var cost = price.Cost(1000, 200, 100, 500, 100);

        Assert.Equal((700 * 0.000003m) + (200 * 0.0000003m) + (100 * 0.00000375m) + (400 * 0.000015m) + (100 * 0.00002m) + 0.001m, cost);
    }

    [Fact]
    public async Task SendAsync_NoReportedCost_EstimatesFromTheCatalogFetchedFromOpenRouter()
    {
        _openRouter.Models(OpenRouterSamples.Models);
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", prompt: 1000, completion: 200, cached: 400, cost: null));
        var options = Metered.Options(_openRouter.ApiRoot, o =>
        {
            o.RefreshPriceCatalog = true;
            o.PriceCatalogRefreshInterval = TimeSpan.FromHours(1);
        });
        using var http = new HttpClient(new LlmMeterHandler(options, _sink) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = _openRouter.ApiRoot };

        // The first metered call starts the fetch in the background; the call itself never waits for it.
        await PostAsync(http);
        await PriceCatalogRegistry.Shared.GetOrCreate(options).FirstFetch.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await PostAsync(http);

        var records = _sink.Records;
        Assert.Equal(2, records.Count);
        var estimated = records[1];
        Assert.Equal(LlmCostSource.Estimated, estimated.CostSource);
        Assert.Equal((600 * 0.0000025m) + (400 * 0.00000125m) + (200 * 0.00001m), estimated.CostUsd);
        Assert.Contains(_openRouter.Server.LogEntries, e => e.RequestMessage.Path == "/api/v1/models" && e.RequestMessage.Method == "GET");
    }

    [Fact]
    public async Task SendAsync_CatalogFromFileAndUnknownModel_CostIsNone()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, OpenRouterSamples.Models);
        try
        {
            _openRouter.Json("chat/completions", OpenRouterSamples.Chat("someone/unknown-model", cost: null));
            using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalogFile = file);

            await PostAsync(http);

            var record = await _sink.SingleAsync();
            Assert.Null(record.CostUsd);
            Assert.Equal(LlmCostSource.None, record.CostSource);
            Assert.Equal(100, record.InputTokens);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task SendAsync_CatalogFromFile_EstimatesWithoutNetwork()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, OpenRouterSamples.Models);
        try
        {
            _openRouter.Json("chat/completions", OpenRouterSamples.Chat("anthropic/claude-3.5-sonnet", prompt: 100, completion: 10, cost: null));
            using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalogFile = file);

            await PostAsync(http);

            var record = await _sink.SingleAsync();
            Assert.Equal((100 * 0.000003m) + (10 * 0.000015m), record.CostUsd);
            Assert.Equal(LlmCostSource.Estimated, record.CostSource);
            Assert.DoesNotContain(_openRouter.Server.LogEntries, e => e.RequestMessage.Path == "/api/v1/models");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Constructor_MissingCatalogFile_ThrowsNamingTheOption()
    {
        var options = Metered.Options(new Uri("https://openrouter.ai/api/v1"), o => o.PriceCatalogFile = "/nonexistent/prices.json");

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new LlmMeterHandler(options, _sink));

        Assert.Contains("PriceCatalogFile", ex.Message);
    }

    private static async Task PostAsync(HttpClient http)
    {
        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}"""));
        await response.Content.ReadAsStringAsync();
    }
}
